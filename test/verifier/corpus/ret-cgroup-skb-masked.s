; a masked return value
; prog: cgroup_skb
; log: exact
; result: accept
r0 = *(u32 *)(r1 + 0)
r0 &= 1
exit
