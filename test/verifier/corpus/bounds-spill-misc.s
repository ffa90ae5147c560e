; value index after: r1 &= 63; *(u32 *)(r10 - 12) = r1; r1 = *(u32 *)(r10 - 12)
; maps: array 4 64 1
; log: exact
; result: reject
; error: R0 unbounded memory access, make sure to bounds check any such access
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u8 *)(r0 + 0)
r1 &= 63
*(u32 *)(r10 - 12) = r1
r1 = *(u32 *)(r10 - 12)
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
