; a partly overwritten spill is no longer a pointer
; log: exact
; result: reject
; error: R2 invalid mem access 'scalar'
*(u64 *)(r10 - 8) = r1
*(u8 *)(r10 - 8) = 0
r2 = *(u64 *)(r10 - 8)
r0 = *(u32 *)(r2 + 0)
exit
