; a map fd that is not open
; maps: hash 4 8 16
; log: exact
; result: reject
; error: fd 999 is not pointing to valid bpf_map
ld_pseudo r1, 1, 999
r0 = 0
exit
