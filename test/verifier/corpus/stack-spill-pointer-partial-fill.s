; a narrow fill of a spilled pointer
; log: exact
; result: reject
; error: invalid size of register fill
*(u64 *)(r10 - 8) = r1
r2 = *(u32 *)(r10 - 8)
r0 = 0
exit
