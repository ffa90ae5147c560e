; kprobes may read the current task
; prog: kprobe
; log: exact
; result: accept
call bpf_get_current_pid_tgid
r0 = 0
exit
