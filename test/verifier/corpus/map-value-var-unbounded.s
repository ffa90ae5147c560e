; an unbounded variable offset
; maps: hash 4 8 16
; log: exact
; result: reject
; error: R0 unbounded memory access, make sure to bounds check any such access
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u32 *)(r0 + 0)
r0 += r1
r0 = *(u8 *)(r0 + 0)
r0 = 0
exit
