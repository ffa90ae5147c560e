; a socket released twice
; prog: sched_cls
; log: exact
; result: reject
; error: R1 type=scalar expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_
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
if r0 == 0 goto +4
r6 = r0
r1 = r0
call bpf_sk_release
r1 = r6
call bpf_sk_release
r0 = 0
exit
