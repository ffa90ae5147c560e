; an xdp_sock is read-only
; prog: xdp
; maps: xskmap 4 4 1
; log: exact
; result: reject
; error: R0 cannot write into xdp_sock
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto +1
*(u32 *)(r0 + 0) = 0
r0 = 0
exit
