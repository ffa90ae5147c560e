; sk_lookup: ctx->sk after its NULL check, reselected with BPF_SK_LOOKUP_F_REPLACE
; prog: sk_lookup
; result: accept
r2 = *(u64 *)(r1 + 0)
if r2 == 0 goto +2
r3 = 1
call bpf_sk_assign
r0 = 1
exit
