; tcp_sock is read-only
; prog: sched_cls
; log: exact
; result: reject
; error: R0 cannot write into tcp_sock
r0 = 0
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_tcp_sock
if r0 == 0 goto +2
*(u32 *)(r0 + 0) = 0
r0 = 0
exit
