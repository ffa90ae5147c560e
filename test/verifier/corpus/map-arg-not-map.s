; a scalar as the map
; maps: hash 4 8 16
; log: exact
; result: reject
; error: R1 type=scalar expected=map_ptr
r1 = 0
r2 = r10
r2 += -8
call bpf_map_lookup_elem
r0 = 0
exit
