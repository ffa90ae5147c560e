; two growing checks
; prog: xdp
; log: exact
; result: accept
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 4
if r4 > r3 goto +5
r0 = *(u32 *)(r2 + 0)
r4 = r2
r4 += 8
if r4 > r3 goto +1
r0 = *(u32 *)(r2 + 4)
r0 = 1
exit
