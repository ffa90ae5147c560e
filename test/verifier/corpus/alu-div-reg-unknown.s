; division by an unknown register
; log: exact
; result: accept
r0 = *(u32 *)(r1 + 0)
r2 = *(u32 *)(r1 + 4)
r0 /= r2
exit
