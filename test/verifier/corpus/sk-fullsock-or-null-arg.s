; bpf_sk_fullsock takes no NULL
; prog: sched_cls
; log: exact
; result: reject
; error: R1 type=sock_common_or_null expected=sock_common, sock, tcp_sock, xdp_sock
r1 = *(u64 *)(r1 + 168)
call bpf_sk_fullsock
r0 = 0
exit
