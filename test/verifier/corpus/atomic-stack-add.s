; atomic add on the stack
; log: exact
; result: accept
r1 = 1
*(u64 *)(r10 - 8) = r1
lock *(u64 *)(r10 - 8) += r1
r0 = *(u64 *)(r10 - 8)
exit
