; bpf_sk_fullsock takes the uapi socket types, not PTR_TO_BTF_ID
; log: exact
; prog: sched_cls
; result: reject
; error: R1 type=ptr_ expected=sock_common, sock, tcp_sock, xdp_sock
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r1 = r0
call bpf_sk_fullsock
r0 = 0
exit
