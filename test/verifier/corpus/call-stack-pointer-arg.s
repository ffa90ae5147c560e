; the callee writes to the caller's stack
; log: exact
; result: accept
r1 = r10
r1 += -8
call pc+2
r0 = *(u64 *)(r10 - 8)
exit
*(u64 *)(r1 + 0) = 1
r0 = 0
exit
