; untrusted memory may be NULL: both branches are walked
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +5
call bpf_skc_to_tcp_sock
if r0 == 0 goto +3
r1 = *(u64 *)(r0 + 760)
if r1 == 0 goto +0
r2 = *(u8 *)(r1 + 0)
r0 = 0
exit
