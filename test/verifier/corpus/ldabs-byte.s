; LD_ABS reads the skb in r6: r0 gets the byte, r1-r5 are clobbered
; log: exact
; result: accept
r6 = r1
r0 = *(u8 *)skb[23]
r0 = *(u16 *)skb[12]
r0 = *(u32 *)skb[26]
exit
