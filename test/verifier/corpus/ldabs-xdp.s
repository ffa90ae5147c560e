; XDP programs have no LD_ABS
; log: exact
; prog: xdp
; log: exact
; result: reject
; error: BPF_LD_[ABS|IND] instructions not allowed for this program type
r6 = r1
r0 = *(u8 *)skb[23]
exit
