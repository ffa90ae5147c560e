; privileged: the key may be uninitialised stack
; maps: hash 4 8 16
; result: accept
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
r0 = 0
exit
