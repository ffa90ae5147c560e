; sock_ops: ops->sk cast to tcp_sock
; log: exact
; prog: sock_ops
; result: accept
r1 = *(u64 *)(r1 + 184)
if r1 == 0 goto +3
call bpf_skc_to_tcp_sock
if r0 == 0 goto +1
r0 = *(u32 *)(r0 + 0)
r0 = 1
exit
