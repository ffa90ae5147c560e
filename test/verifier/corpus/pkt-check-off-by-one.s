; the 15th byte is not allowed
; prog: xdp
; log: exact
; result: reject
; error: invalid access to packet, off=14 size=1, R2(id=0,off=14,r=14)
; error: R2 offset is outside of the packet
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto +2
r0 = *(u8 *)(r2 + 14)
r0 = 1
r0 = 2
exit
