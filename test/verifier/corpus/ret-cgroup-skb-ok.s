; cgroup skb returns 0 or 1
; prog: cgroup_skb
; result: accept
r0 = 1
exit
