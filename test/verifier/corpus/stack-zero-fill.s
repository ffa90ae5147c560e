; a zeroed slot reads as the constant 0
; log: exact
; result: accept
*(u64 *)(r10 - 8) = 0
r0 = *(u32 *)(r10 - 4)
exit
