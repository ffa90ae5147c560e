; bytes_received only as a whole u64
; prog: sched_cls
; log: exact
; result: reject
; error: R0 invalid tcp_sock access off=80 size=4
r0 = 0
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_tcp_sock
if r0 == 0 goto +2
r0 = *(u32 *)(r0 + 80)
r0 = 0
exit
