; queue_id is read whole
; prog: xdp
; maps: xskmap 4 4 1
; log: exact
; result: reject
; error: R0 invalid xdp_sock access off=0 size=2
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto +1
r0 = *(u16 *)(r0 + 0)
r0 = 0
exit
