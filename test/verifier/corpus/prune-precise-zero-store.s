; r7 is 0 on the first path to `join` and 5 on the second; stored after the join where it is no spill, 0 makes the key's bytes STACK_ZERO, a constant key the array lookup cannot miss: the store makes r7 precise, and the second path, whose key is unknown, derefs a value that may be NULL
; maps: array 4 8 1
; result: reject
; error: R0 invalid mem access 'map_value_or_null'
call bpf_get_prandom_u32
r6 = r0
r8 = 1
r8 = 2
r8 = 3
r8 = 4
r8 = 5
if r6 > 4 goto big
r7 = 0
goto join
big:
r7 = 5
join:
*(u32 *)(r10 - 4) = r7
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
r0 = *(u8 *)(r0 + 0)
r0 = 0
exit
