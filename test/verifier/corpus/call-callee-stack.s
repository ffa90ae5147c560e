; a callee with its own stack
; log: exact
; result: accept
call pc+2
r0 = 0
exit
*(u64 *)(r10 - 8) = 1
r0 = *(u64 *)(r10 - 8)
exit
