; two paths with different structs (tcp_sock, tcp6_sock) are not pruned
; log: exact
; prog: sched_cls
; result: accept
r6 = *(u32 *)(r1 + 0)
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +8
if r6 > 100 goto +3
call bpf_skc_to_tcp_sock
r6 = 1
goto +2
call bpf_skc_to_tcp6_sock
r6 = 2
if r0 == 0 goto +1
r0 = *(u8 *)(r0 + 18)
r0 = 0
exit
