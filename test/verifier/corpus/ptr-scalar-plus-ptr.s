; scalar plus pointer is a pointer
; log: exact
; result: accept
r2 = -8
r2 += r10
*(u64 *)(r2 + 0) = 1
r0 = 0
exit
