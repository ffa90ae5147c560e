; cgroup skb returns 0 or 1
; prog: cgroup_skb
; log: exact
; result: accept
r0 = 1
exit
