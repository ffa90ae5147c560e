; one load through two different kernel structs: allowed
; log: exact
; prog: sched_cls
; result: accept
r6 = *(u32 *)(r1 + 0)
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +6
call bpf_skc_to_tcp_sock
if r0 == 0 goto +4
r2 = r0
if r6 > 5 goto +1
r2 = *(u64 *)(r0 + 336)
r0 = *(u64 *)(r2 + 0)
r0 = 0
exit
