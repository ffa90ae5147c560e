; non-null, but the value's bounds still hold
; maps: array 4 8 4
; log: exact
; result: reject
; error: invalid access to map value, value_size=8 off=4 size=8
; error: R0 min value is outside of the allowed memory range
r1 = 1
*(u32 *)(r10 - 8) = r1
r2 = r10
r2 += -8
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
r0 = *(u64 *)(r0 + 4)
r0 = 0
exit
