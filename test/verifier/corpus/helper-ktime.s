; a helper result is a scalar
; log: exact
; result: accept
call bpf_ktime_get_ns
exit
