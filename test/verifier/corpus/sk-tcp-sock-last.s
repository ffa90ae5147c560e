; icsk_retransmits, the last field, and past it
; prog: sched_cls
; log: exact
; result: reject
; error: R0 invalid tcp_sock access off=112 size=4
r0 = 0
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +5
call bpf_tcp_sock
if r0 == 0 goto +3
r2 = *(u32 *)(r0 + 108)
r0 = *(u32 *)(r0 + 112)
r0 = 0
exit
