; ctx minus a constant
; log: exact
; result: accept
r2 = *(u32 *)(r1 + 0)
r1 -= 4
r0 = 0
exit
