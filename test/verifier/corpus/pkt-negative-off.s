; a negative packet offset
; prog: xdp
; log: exact
; result: reject
; error: invalid access to packet, off=-1 size=1, R2(id=0,off=-1,r=4)
; error: R2 offset is outside of the packet
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 4
if r4 > r3 goto +1
r0 = *(u8 *)(r2 - 1)
r0 = 1
exit
