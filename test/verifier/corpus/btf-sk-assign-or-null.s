; bpf_sk_assign of a cast not yet NULL-checked
; log: exact
; prog: sched_cls
; result: reject
; error: R2 type=ptr_or_null_ expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_
r6 = r1
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +5
call bpf_skc_to_tcp_sock
r1 = r6
r2 = r0
r3 = 0
call bpf_sk_assign
r0 = 0
exit
