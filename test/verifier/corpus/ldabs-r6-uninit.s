; LD_ABS reads r6, which must be initialised
; log: exact
; result: reject
; error: R6 !read_ok
r0 = *(u8 *)skb[23]
exit
