; with CAP_PERFMON xdp gets get_current_pid_tgid (bpf_base_func_proto)
; prog: xdp
; log: exact
; result: accept
call bpf_get_current_pid_tgid
r0 = 0
exit
