; a tcp_sock is a sock_common for the next cast
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +6
call bpf_skc_to_tcp_sock
if r0 == 0 goto +4
r1 = r0
call bpf_skc_to_tcp6_sock
if r0 == 0 goto +1
r0 = *(u16 *)(r0 + 16)
r0 = 0
exit
