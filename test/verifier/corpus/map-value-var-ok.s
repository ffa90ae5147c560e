; a masked variable offset stays inside
; maps: hash 4 8 16
; result: accept
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto +5
r1 = *(u32 *)(r0 + 0)
r1 &= 7
r0 += r1
r0 = *(u8 *)(r0 + 0)
r0 = 0
r0 = 0
exit
