; r0 holds the helper's result
; log: exact
; result: accept
call bpf_get_prandom_u32
r0 &= 1
exit
