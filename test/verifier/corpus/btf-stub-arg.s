; inet_sock.pinet6 is a struct ipv6_pinfo, not a socket
; log: exact
; prog: sched_cls
; result: reject
; error: R1 is of type ipv6_pinfo but sock_common is expected
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r1 = *(u64 *)(r0 + 784)
call bpf_skc_to_tcp6_sock
r0 = 0
exit
