; sk_lookup: bpf_sk_assign(ctx, NULL, 0) clears the selection (ARG_PTR_TO_SOCKET_OR_NULL takes a NULL constant)
; prog: sk_lookup
; result: accept
r2 = 0
r3 = 0
call bpf_sk_assign
r0 = 1
exit
