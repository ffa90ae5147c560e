; __sk_buff.len
; log: exact
; result: accept
r0 = *(u32 *)(r1 + 0)
exit
