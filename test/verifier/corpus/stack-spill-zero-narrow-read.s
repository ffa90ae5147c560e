; a byte of a spilled constant zero reads as the constant 0, so it may offset the context
; log: exact
; result: accept
*(u64 *)(r10 - 8) = 0
r7 = *(u8 *)(r10 - 1)
r1 += r7
r0 = *(u32 *)(r1 + 0)
exit
