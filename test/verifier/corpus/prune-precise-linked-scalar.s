; r6 is the map value offset after `join`, bounded there only through r7, a copy of it on the first path (linked by id): the join's checkpoint compares r7 with r6, and the second path, where r7 is 0 and r6 unbounded, is not pruned
; maps: array 4 8 1
; result: reject
; error: math between map_value pointer and register with unbounded min value is not allowed
call bpf_get_prandom_u32
r9 = r0
call bpf_get_prandom_u32
r6 = r0
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
if r9 > 4 goto other
r7 = r6
goto join
other:
r7 = 0
join:
if r7 > 4 goto out
r0 += r6
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
