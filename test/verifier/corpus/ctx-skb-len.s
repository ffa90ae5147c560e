; __sk_buff.len
; result: accept
r0 = *(u32 *)(r1 + 0)
exit
