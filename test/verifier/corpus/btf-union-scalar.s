; offset 96 of sock_common is a union whose first member is a scalar: no pointer
; log: exact
; prog: sched_cls
; result: reject
; error: R1 invalid mem access 'scalar'
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r1 = *(u64 *)(r0 + 96)
r2 = *(u32 *)(r1 + 0)
r0 = 0
exit
