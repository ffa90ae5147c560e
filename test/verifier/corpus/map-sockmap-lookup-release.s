; a sockmap lookup: read the socket, release it
; prog: sched_cls
; maps: sockmap 4 4 1
; result: accept
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto +4
r6 = *(u32 *)(r0 + 4)
r1 = r0
call bpf_sk_release
r0 = r6
exit
