; a sock's mark, whole u32 only
; prog: sk_msg
; log: exact
; result: reject
; error: R2 invalid sock access off=16 size=2
r2 = *(u64 *)(r1 + 72)
r0 = *(u16 *)(r2 + 16)
r0 = 0
exit
