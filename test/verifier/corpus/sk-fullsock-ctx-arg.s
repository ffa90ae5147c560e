; bpf_sk_fullsock of the context
; prog: sched_cls
; log: exact
; result: reject
; error: R1 type=ctx expected=sock_common, sock, tcp_sock, xdp_sock
call bpf_sk_fullsock
r0 = 0
exit
