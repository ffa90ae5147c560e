; an array lookup of a constant key below max_entries cannot fail: no null check needed
; maps: array 4 8 4
; result: accept
r1 = 2
*(u32 *)(r10 - 8) = r1
r2 = r10
r2 += -8
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
r0 = *(u64 *)(r0 + 0)
r0 = 0
exit
