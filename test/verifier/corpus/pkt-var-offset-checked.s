; a variable offset re-checked against data_end
; prog: xdp
; log: exact
; result: accept
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 1
if r4 > r3 goto +7
r5 = *(u8 *)(r2 + 0)
r5 &= 0xf
r2 += r5
r4 = r2
r4 += 2
if r4 > r3 goto +1
r0 = *(u16 *)(r2 + 0)
r0 = 0
exit
