; live stack: a store through a map value or a stack pointer writes the stack on one path only
; log: exact
; maps: hash 4 8 1
; result: accept
*(u64 *)(r10 - 8) = 0
r2 = r10
r2 += -8
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 != 0 goto store
r0 = r10
r0 += -16
store:
*(u64 *)(r0 + 0) = 42
exit
