; bpf_tcp_sock: bytes_acked as a u64
; prog: sched_cls
; log: exact
; result: accept
r0 = 0
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +3
call bpf_tcp_sock
if r0 == 0 goto +1
r0 = *(u64 *)(r0 + 88)
exit
