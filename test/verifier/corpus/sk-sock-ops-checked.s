; bpf_sock_ops->sk after a NULL check: priority
; prog: sock_ops
; log: exact
; result: accept
r2 = *(u64 *)(r1 + 184)
if r2 == 0 goto +1
r0 = *(u32 *)(r2 + 20)
r0 = 1
exit
