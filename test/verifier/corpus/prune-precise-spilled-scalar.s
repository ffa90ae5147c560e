; r7 differs between the paths that join at `join`, but only its stack spill survives the join: filled and used as a map value offset after it, the slot is compared at the join's checkpoint
; maps: array 4 8 1
; result: reject
; error: invalid access to map value, value_size=8 off=100 size=1
; error: R0 min value is outside of the allowed memory range
call bpf_get_prandom_u32
r6 = r0
r9 = r10
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto out
r8 = 1
r8 = 2
r8 = 3
r8 = 4
r8 = 5
if r6 > 4 goto big
r7 = 0
*(u64 *)(r10 - 16) = r7
goto join
big:
r7 = 100
*(u64 *)(r10 - 16) = r7
join:
r7 = 0
r1 = *(u64 *)(r9 - 16)
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
