; moved and moved back: offset 0 again, a sock_common for the cast
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +6
call bpf_skc_to_tcp_sock
if r0 == 0 goto +4
r0 += 8
r0 -= 8
r1 = r0
call bpf_skc_to_tcp6_sock
r0 = 0
exit
