; the 4-byte key would cross fp+0
; maps: hash 4 8 16
; log: exact
; result: reject
; error: invalid read from stack R2 off=-2 size=4
r2 = r10
r2 += -2
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
r0 = 0
exit
