; a sockmap lookup gives a referenced socket, not a map value: no store into it
; prog: sched_cls
; maps: sockmap 4 4 1
; log: exact
; result: reject
; error: R6 cannot write into sock
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto +3
r6 = r0
r1 = 0
*(u32 *)(r6 + 0) = r1
r0 = 0
exit
