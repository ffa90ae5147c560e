; a copy made before the check shares its id
; prog: xdp
; log: exact
; result: accept
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r5 = r2
r4 = r2
r4 += 4
if r4 > r3 goto +1
r0 = *(u32 *)(r5 + 0)
r0 = 1
exit
