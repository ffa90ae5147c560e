; a 32-bit move of a kernel struct pointer is a scalar
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
w0 = w0
r0 = 0
r0 = 0
exit
