; a ptr_or_null_ passed on before its NULL check
; log: exact
; prog: sched_cls
; result: reject
; error: R1 type=ptr_or_null_ expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +3
call bpf_skc_to_tcp_sock
r1 = r0
call bpf_skc_to_tcp6_sock
r0 = 0
exit
