; cmpxchg returns in R0
; log: exact
; result: accept
r1 = 1
*(u64 *)(r10 - 8) = r1
r0 = 1
r2 = 2
r0 = cmpxchg_64(r10 - 8, r0, r2)
exit
