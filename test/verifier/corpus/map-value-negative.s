; read before the value
; maps: hash 4 8 16
; log: exact
; result: reject
; error: invalid access to map value, value_size=8 off=-1 size=1
; error: R0 min value is outside of the allowed memory range
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto +1
r0 = *(u8 *)(r0 - 1)
r0 = 0
exit
