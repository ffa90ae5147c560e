; a helper result is a scalar
; result: accept
call bpf_ktime_get_ns
exit
