; LD_ABS needs the context in r6
; log: exact
; result: reject
; error: at the time of BPF_LD_ABS|IND R6 != pointer to skb
r6 = r10
r0 = *(u8 *)skb[23]
exit
