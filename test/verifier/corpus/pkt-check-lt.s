; data + 8 < data_end
; prog: xdp
; log: exact
; result: accept
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 < r3 goto +2
r0 = 0
exit
r0 = *(u64 *)(r2 + 0)
exit
