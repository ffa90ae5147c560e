; 32-bit range refinement
; log: exact
; result: accept
r0 = *(u32 *)(r1 + 0)
if w0 > 10 goto +2
if w0 < 11 goto +1
r0 = *(u64 *)(r0 + 0)
r0 = 0
exit
