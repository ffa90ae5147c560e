; bpf_sk_assign of a socket not NULL-checked
; prog: sched_cls
; log: exact
; result: reject
; error: R2 type=sock_or_null expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_
r6 = r1
r2 = 0
*(u64 *)(r10 - 8) = r2
*(u64 *)(r10 - 16) = r2
*(u64 *)(r10 - 24) = r2
*(u64 *)(r10 - 32) = r2
*(u64 *)(r10 - 40) = r2
r2 = r10
r2 += -40
r3 = 36
r4 = -1
r5 = 0
call bpf_sk_lookup_tcp
r7 = r0
r1 = r6
r2 = r0
r3 = 0
call bpf_sk_assign
r0 = 0
exit
