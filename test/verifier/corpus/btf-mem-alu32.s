; 32-bit arithmetic on untrusted memory
; log: exact
; prog: sched_cls
; result: reject
; error: R1 32-bit pointer arithmetic prohibited
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r1 = *(u64 *)(r0 + 760)
w1 += 8
r0 = 0
exit
