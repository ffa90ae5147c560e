; the 8-byte value would cross fp+0
; maps: hash 4 8 16
; log: exact
; result: reject
; error: invalid read from stack R3 off=-4 size=8
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r3 = r10
r3 += -4
r4 = 0
ld_pseudo r1, 5, 0
call bpf_map_update_elem
r0 = 0
exit
