; byte-granular slots
; log: exact
; result: accept
*(u8 *)(r10 - 1) = 1
*(u8 *)(r10 - 2) = 0
*(u16 *)(r10 - 4) = 0
r0 = *(u32 *)(r10 - 4)
exit
