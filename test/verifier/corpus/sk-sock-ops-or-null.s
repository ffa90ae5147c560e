; bpf_sock_ops->sk is sock_or_null
; prog: sock_ops
; log: exact
; result: reject
; error: R2 invalid mem access 'sock_or_null'
r2 = *(u64 *)(r1 + 184)
r0 = *(u32 *)(r2 + 4)
r0 = 0
exit
