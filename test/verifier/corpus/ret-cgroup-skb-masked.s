; a masked return value
; prog: cgroup_skb
; result: accept
r0 = *(u32 *)(r1 + 0)
r0 &= 1
exit
