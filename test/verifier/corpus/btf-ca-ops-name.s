; icsk->icsk_ca_ops->name: the congestion control's name, first and last byte
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +5
call bpf_skc_to_tcp_sock
if r0 == 0 goto +3
r1 = *(u64 *)(r0 + 1208)
r2 = *(u8 *)(r1 + 88)
r3 = *(u8 *)(r1 + 103)
r0 = 0
exit
