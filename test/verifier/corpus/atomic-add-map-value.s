; an atomic add into a map value
; maps: array 4 8 1
; result: accept
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = 1
lock *(u64 *)(r0 + 0) += r1
out:
r0 = 0
exit
