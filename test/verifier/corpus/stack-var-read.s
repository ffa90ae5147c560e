; load at a variable stack offset
; log: exact
; result: accept
r2 = *(u32 *)(r1 + 0)
r2 &= 8
*(u64 *)(r10 - 8) = 0
*(u64 *)(r10 - 16) = 0
r3 = r10
r3 += -16
r3 += r2
r0 = *(u64 *)(r3 + 0)
exit
