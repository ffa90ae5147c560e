; a variable known to be 0 added: still offset 0
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +7
call bpf_skc_to_tcp_sock
if r0 == 0 goto +5
r2 = *(u32 *)(r0 + 1444)
r2 &= 0
r1 = r0
r1 += r2
call bpf_skc_to_tcp6_sock
r0 = 0
exit
