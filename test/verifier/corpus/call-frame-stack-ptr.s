; a callee writing its caller's stack
; log: exact
; result: reject
; error: last insn is not an exit or jmp
r1 = r10
r1 += -8
call pc+3
r0 = *(u64 *)(r10 - 8)
exit
r0 = 0
*(u64 *)(r1 + 0) = 5
r0 = 0
exit
