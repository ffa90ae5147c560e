; sk_lookup: ctx->sk (sock_or_null) passed to bpf_sk_assign without a NULL check
; prog: sk_lookup
; result: accept
r2 = *(u64 *)(r1 + 0)
r3 = 1
call bpf_sk_assign
r0 = 1
exit
