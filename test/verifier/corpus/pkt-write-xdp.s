; xdp may write the packet
; prog: xdp
; log: exact
; result: accept
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 4
if r4 > r3 goto +1
*(u32 *)(r2 + 0) = 0
r0 = 1
exit
