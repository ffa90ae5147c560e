; socket filters may not call xdp_adjust_head
; log: exact
; result: reject
; error: program of this type cannot use helper bpf_xdp_adjust_head#44
r2 = 0
call bpf_xdp_adjust_head
r0 = 0
exit
