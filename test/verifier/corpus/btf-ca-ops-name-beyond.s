; a u32 load at name[14] of icsk_ca_ops runs past the char[16]
; log: exact
; prog: sched_cls
; result: reject
; error: access beyond the end of member name (mend:104) in struct tcp_congestion_ops with off 102 size 4
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r1 = *(u64 *)(r0 + 1208)
r2 = *(u32 *)(r1 + 102)
r0 = 0
exit
