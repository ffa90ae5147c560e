; tcp_sock + 8 is no sock_common (btf_struct_ids_match walks only from offset 0)
; log: exact
; prog: sched_cls
; result: reject
; error: R1 is of type tcp_sock but sock_common is expected
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +5
call bpf_skc_to_tcp_sock
if r0 == 0 goto +3
r1 = r0
r1 += 8
call bpf_skc_to_udp6_sock
r0 = 0
exit
