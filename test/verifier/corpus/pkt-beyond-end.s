; data + 48 >= data_end on the fall-through: r4 is at or past pkt_end, nothing may be read through it
; prog: xdp
; log: exact
; result: reject
; error: R4 offset is outside of the packet
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 48
if r3 > r4 goto good
r0 = *(u64 *)(r4 - 9)
r0 = 1
exit
good:
r0 = 2
exit
