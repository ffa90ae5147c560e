; r7 differs between the paths that join at `join` but nothing depends on its value: the second path is pruned there
; maps: array 4 8 1
; result: accept
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
if r6 > 4 goto big
r7 = 0
goto join
big:
r7 = 100
join:
r8 = r7
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
