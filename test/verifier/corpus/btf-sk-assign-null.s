; bpf_sk_assign in tc: NULL is no socket (the argument is not PTR_MAYBE_NULL in this kernel)
; log: exact
; prog: sched_cls
; result: reject
; error: R2 type=scalar expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_
r2 = 0
r3 = 0
call bpf_sk_assign
r0 = 0
exit
