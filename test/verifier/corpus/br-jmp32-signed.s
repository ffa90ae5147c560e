; 32-bit signed compare
; log: exact
; result: accept
r0 = *(u32 *)(r1 + 0)
if w0 s< 0 goto +2
r0 = 0
exit
r0 = 1
exit
