; through inet_sock.pinet6 to struct ipv6_pinfo (embedded in tcp6_sock, so described)
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r1 = *(u64 *)(r0 + 784)
r2 = *(u32 *)(r1 + 0)
r0 = 0
exit
