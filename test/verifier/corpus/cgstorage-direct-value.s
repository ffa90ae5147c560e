; a cgroup storage value has no direct address (BPF_PSEUDO_MAP_IDX_VALUE)
; prog: cgroup_skb
; maps: cgroup_storage 16 64 0
; log: exact
; result: reject
; error: no direct value access support for this map type
ld_pseudo r1, 6, 0
r0 = *(u32 *)(r1 + 0)
r0 &= 1
exit
