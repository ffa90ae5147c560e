; the counter the loop leaves in R0 is widened to unknown: a return value that must be 0 or 1 is rejected
; prog: cgroup_skb
; log: exact
; result: reject
; error: At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]
r0 = 0
l:
may_goto +2
r0 += 1
goto l
exit
