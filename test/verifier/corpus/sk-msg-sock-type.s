; sk_msg_md->sk is a sock (never NULL): its type field
; prog: sk_msg
; log: exact
; result: accept
r2 = *(u64 *)(r1 + 72)
r0 = *(u32 *)(r2 + 8)
r0 = 0
exit
