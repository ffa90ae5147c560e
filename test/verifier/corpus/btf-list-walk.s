; following list_head pointers: ptr_list_head, the struct held by value in the subset
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +5
call bpf_skc_to_tcp_sock
if r0 == 0 goto +3
r1 = *(u64 *)(r0 + 336)
r2 = *(u64 *)(r1 + 0)
r3 = *(u64 *)(r2 + 8)
r0 = 0
exit
