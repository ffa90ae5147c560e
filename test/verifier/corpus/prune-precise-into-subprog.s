; r1 differs between the paths that join at `join` and goes into a subprogram as its R1, which becomes a map value offset there: the walk from the callee goes back over the call into the caller's R1, and the join's checkpoint compares it
; maps: array 4 8 1
; result: reject
; error: invalid access to map value, value_size=8 off=100 size=1
; error: R2 min value is outside of the allowed memory range
; processed: 30
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
r2 = r6
call deref
out:
r0 = 0
exit
deref:
r2 += r1
r0 = *(u8 *)(r2 + 0)
exit
