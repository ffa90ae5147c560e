; a cgroup storage has no keyed access for programs
; prog: cgroup_skb
; maps: cgroup_storage 16 8 0
; log: exact
; result: reject
; error: cannot pass map_type 19 into func bpf_map_lookup_elem#1
r1 = 0
*(u64 *)(r10 - 16) = r1
*(u64 *)(r10 - 8) = r1
r2 = r10
r2 += -16
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
r0 = 1
exit
