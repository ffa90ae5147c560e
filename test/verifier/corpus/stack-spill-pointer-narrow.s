; a narrow spill of a pointer
; log: exact
; result: reject
; error: invalid size of register spill
*(u32 *)(r10 - 8) = r1
r0 = 0
exit
