; spill and fill a constant
; log: exact
; result: accept
r1 = 5
*(u64 *)(r10 - 8) = r1
r0 = *(u64 *)(r10 - 8)
exit
