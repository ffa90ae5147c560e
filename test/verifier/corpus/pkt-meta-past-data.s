; the fifth byte of 4 checked bytes of metadata
; prog: xdp
; log: exact
; result: reject
; error: invalid access to packet, off=4 size=1, R2(id=0,off=4,r=4)
; error: R2 offset is outside of the packet
r2 = *(u32 *)(r1 + 8)
r3 = *(u32 *)(r1 + 0)
r4 = r2
r4 += 4
if r4 > r3 goto out
r0 = *(u8 *)(r2 + 4)
out:
r0 = 2
exit
