; packet read without a bounds check
; prog: xdp
; log: exact
; result: reject
; error: invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)
; error: R2 offset is outside of the packet
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r0 = *(u8 *)(r2 + 0)
exit
