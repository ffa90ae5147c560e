; bpf_tcp_sock takes any socket type, a tcp_sock too
; prog: sched_cls
; log: exact
; result: accept
r0 = 0
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +5
call bpf_tcp_sock
if r0 == 0 goto +3
r1 = r0
call bpf_tcp_sock
r0 = 0
exit
