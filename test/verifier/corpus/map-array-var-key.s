; a key the verifier does not know leaves the lookup nullable
; maps: array 4 8 4
; log: exact
; result: reject
; error: R0 invalid mem access 'map_value_or_null'
r1 = *(u32 *)(r1 + 0)
r1 &= 3
*(u32 *)(r10 - 8) = r1
r2 = r10
r2 += -8
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
r0 = *(u64 *)(r0 + 0)
r0 = 0
exit
