; cgroup skb may not write the packet
; prog: cgroup_skb
; log: exact
; result: reject
; error: cannot write into packet
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 4
if r4 > r3 goto +1
*(u32 *)(r2 + 0) = 0
r0 = 1
exit
