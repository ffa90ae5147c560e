; tc: bpf_sk_assign's socket is ARG_PTR_TO_BTF_ID_SOCK_COMMON, not nullable: a NULL constant is refused
; prog: sched_cls
; result: reject
; error: R2 type=scalar expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_
r2 = 0
r3 = 0
call bpf_sk_assign
r0 = 0
exit
