; sk->sk_socket->sk, a pointer walked from a trusted one (not trusted itself), given to a cast
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +7
call bpf_skc_to_tcp_sock
if r0 == 0 goto +5
r1 = *(u64 *)(r0 + 288)
r1 = *(u64 *)(r1 + 24)
call bpf_skc_to_tcp_sock
if r0 == 0 goto +1
r2 = *(u32 *)(r0 + 1444)
r0 = 0
exit
