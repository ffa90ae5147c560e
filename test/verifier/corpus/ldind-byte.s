; LD_IND adds a register to the offset
; log: exact
; result: accept
r6 = r1
r7 = 14
r0 = *(u8 *)skb[r7 + 9]
exit
