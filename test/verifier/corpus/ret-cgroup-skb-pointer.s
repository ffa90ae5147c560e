; returning the context
; prog: cgroup_skb
; log: exact
; result: reject
; error: At program exit the register R0 is not a known value (ctx)
r0 = r1
exit
