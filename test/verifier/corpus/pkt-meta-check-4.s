; data_meta + 4 <= data allows 4 bytes of metadata (checked with a jump over the read)
; prog: xdp
; log: exact
; result: accept
r2 = *(u32 *)(r1 + 8)
r3 = *(u32 *)(r1 + 0)
r4 = r2
r4 += 4
if r4 > r3 goto out
r0 = *(u32 *)(r2 + 0)
out:
r0 = 2
exit
