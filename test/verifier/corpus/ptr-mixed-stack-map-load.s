; the stack on one path, a map value on the other: both fine
; maps: array 4 8 1
; result: accept
r1 = 0
*(u64 *)(r10 - 8) = r1
r2 = r10
r2 += -8
r6 = r2
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto +1
r6 = r0
r0 = *(u32 *)(r6 + 0)
exit
