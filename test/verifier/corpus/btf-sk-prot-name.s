; sk->sk_prot->name (struct proto, reached through __sk_common.skc_prot)
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r1 = *(u64 *)(r0 + 40)
r2 = *(u64 *)(r1 + 392)
r0 = 0
exit
