; stores through a copy of fp
; log: exact
; result: accept
r2 = r10
r2 += -8
*(u64 *)(r2 + 0) = 7
r0 = *(u64 *)(r10 - 8)
exit
