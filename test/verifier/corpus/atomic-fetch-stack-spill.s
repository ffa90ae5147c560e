; the old value an atomic fetches from a stack slot holding a spilled constant is that constant: a return value in [0, 1]
; prog: cgroup_skb
; result: accept
r1 = 1
*(u64 *)(r10 - 8) = r1
r1 = 0
r1 = atomic64_fetch_add((u64 *)(r10 - 8), r1)
r0 = r1
exit
