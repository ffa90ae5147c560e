; a map value as the key of another lookup
; maps: hash 4 8 16
; result: accept
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto +4
r2 = r0
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
r0 = 0
r0 = 0
exit
