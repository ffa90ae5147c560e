; bpf_skc_to_tcp_sock: ptr_or_null_tcp_sock until checked; a u32 of sock_common, a pointer in a union is untrusted_ptr_hlist_node
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +5
call bpf_skc_to_tcp_sock
if r0 == 0 goto +3
r1 = *(u32 *)(r0 + 0)
r2 = *(u64 *)(r0 + 24)
r3 = *(u64 *)(r2 + 0)
r0 = 0
exit
