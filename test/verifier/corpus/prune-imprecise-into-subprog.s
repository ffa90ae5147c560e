; r1 differs between the paths that join at `join` and goes into a subprogram that ignores it; the map value offset is the callee's constant R0: the walk goes back over the exit into the callee and stops there, so the second path is pruned at the join
; maps: array 4 8 1
; result: accept
; processed: 28
call bpf_get_prandom_u32
r9 = r0
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 = r0
r8 = 1
r8 = 2
r8 = 3
r8 = 4
r8 = 5
if r9 > 4 goto big
r1 = 0
goto join
big:
r1 = 100
join:
call offset
r6 += r0
r0 = *(u8 *)(r6 + 0)
out:
r0 = 0
exit
offset:
r0 = r1
r0 = 4
exit
