; bpf_sk_release of the context
; prog: sched_cls
; log: exact
; result: reject
; error: R1 type=ctx expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_
call bpf_sk_release
r0 = 0
exit
