; a 32-bit comparison of packet pointers proves nothing
; prog: xdp
; log: exact
; result: reject
; error: invalid access to packet, off=0 size=4, R2(id=0,off=0,r=0)
; error: R2 offset is outside of the packet
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 4
if w4 > w3 goto +1
r0 = *(u32 *)(r2 + 0)
r0 = 1
exit
