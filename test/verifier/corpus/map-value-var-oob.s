; a variable offset that may pass the end
; maps: hash 4 8 16
; log: exact
; result: reject
; error: invalid access to map value, value_size=8 off=15 size=1
; error: R0 max value is outside of the allowed memory range
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto +4
r1 = *(u32 *)(r0 + 0)
r1 &= 15
r0 += r1
r0 = *(u8 *)(r0 + 0)
r0 = 0
exit
