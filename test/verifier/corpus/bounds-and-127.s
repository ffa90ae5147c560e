; value index after: r1 &= 127
; maps: array 4 64 1
; log: exact
; result: reject
; error: invalid access to map value, value_size=64 off=127 size=1
; error: R0 max value is outside of the allowed memory range
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u8 *)(r0 + 0)
r1 &= 127
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
