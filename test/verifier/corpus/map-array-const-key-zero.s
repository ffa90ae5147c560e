; a zeroed key (STACK_ZERO bytes) is the constant 0
; maps: percpu_array 4 16 1
; result: accept
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
r0 = *(u64 *)(r0 + 8)
r0 = 0
exit
