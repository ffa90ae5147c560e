; a load at sizeof(struct tcp_sock)
; log: exact
; prog: sched_cls
; result: reject
; error: access beyond struct tcp_sock at off 2304 size 4
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +3
call bpf_skc_to_tcp_sock
if r0 == 0 goto +1
r1 = *(u32 *)(r0 + 2304)
r0 = 0
exit
