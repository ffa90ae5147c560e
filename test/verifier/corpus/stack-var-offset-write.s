; store at a variable stack offset
; log: exact
; result: accept
r2 = *(u32 *)(r1 + 0)
r2 &= 8
r3 = r10
r3 += -16
r3 += r2
*(u64 *)(r3 + 0) = 1
r0 = 0
exit
