; before its NULL check a sockmap lookup is a map_value_or_null
; prog: sched_cls
; maps: sockmap 4 4 1
; log: exact
; result: reject
; error: R0 invalid mem access 'map_value_or_null'
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
r0 = *(u32 *)(r0 + 0)
r0 = 0
exit
