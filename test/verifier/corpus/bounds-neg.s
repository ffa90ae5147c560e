; value index after: r1 = -r1
; maps: array 4 64 1
; log: exact
; result: reject
; error: R0 min value is negative, either use unsigned index or do a if (index >=0) check.
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u8 *)(r0 + 0)
r1 = -r1
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
