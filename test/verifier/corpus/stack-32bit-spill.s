; a 4-byte spill of a constant keeps the value
; log: exact
; result: accept
r1 = 7
*(u32 *)(r10 - 8) = r1
r0 = *(u32 *)(r10 - 8)
exit
