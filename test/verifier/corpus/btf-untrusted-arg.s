; an untrusted pointer (read through a union) is not a socket argument
; log: exact
; prog: sched_cls
; result: reject
; error: R1 type=untrusted_ptr_ expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r1 = *(u64 *)(r0 + 24)
call bpf_skc_to_tcp_sock
r0 = 0
exit
