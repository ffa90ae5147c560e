; a packet pointer as the key
; prog: xdp
; maps: hash 4 8 16
; log: exact
; result: accept
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 4
if r4 > r3 goto +4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
r0 = 0
r0 = 0
exit
