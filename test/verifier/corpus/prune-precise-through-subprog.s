; r1 differs between the paths that join at `join`; a subprogram returns it and it becomes a map value offset: the walk goes back over the exit into the callee's R0, its R1, and over the call into the caller's R1, so the join's checkpoint compares it
; maps: array 4 8 1
; result: reject
; error: invalid access to map value, value_size=8 off=100 size=1
; error: R6 min value is outside of the allowed memory range
; processed: 31
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
call ident
r6 += r0
r0 = *(u8 *)(r6 + 0)
out:
r0 = 0
exit
ident:
r0 = r1
exit
