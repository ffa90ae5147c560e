; after LD_ABS the caller-saved registers are gone
; log: exact
; result: reject
; error: R1 !read_ok
r6 = r1
r0 = *(u8 *)skb[23]
r0 = r1
exit
