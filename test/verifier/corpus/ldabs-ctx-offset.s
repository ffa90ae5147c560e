; r6 must point at the start of the context
; log: exact
; result: reject
; error: dereference of modified ctx ptr R6 off=8 disallowed
r6 = r1
r6 += 8
r0 = *(u8 *)skb[23]
exit
