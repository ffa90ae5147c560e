; two untrusted memory pointers subtracted give a scalar
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +5
call bpf_skc_to_tcp_sock
if r0 == 0 goto +3
r1 = *(u64 *)(r0 + 760)
r2 = *(u64 *)(r0 + 760)
r1 -= r2
r0 = 0
exit
