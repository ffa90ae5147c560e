; a kprobe may return any scalar
; prog: kprobe
; log: exact
; result: accept
call bpf_get_prandom_u32
exit
