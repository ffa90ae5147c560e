; __sk_buff->sk read without a NULL check
; log: exact
; result: reject
; error: R2 invalid mem access 'sock_common_or_null'
r2 = *(u64 *)(r1 + 168)
r0 = *(u32 *)(r2 + 4)
exit
