; tcp_sock - 8: the walk logs access beyond struct with the offset as a u32
; log: exact
; prog: sched_cls
; result: reject
; error: access beyond struct tcp_sock at off 4294967288 size 1
; error: R1 is of type tcp_sock but sock_common is expected
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +5
call bpf_skc_to_tcp_sock
if r0 == 0 goto +3
r1 = r0
r1 += -8
call bpf_skc_to_tcp6_sock
r0 = 0
exit
