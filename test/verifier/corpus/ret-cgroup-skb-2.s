; 2 is out of range for cgroup skb
; prog: cgroup_skb
; log: exact
; result: reject
; error: At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]
r0 = 2
exit
