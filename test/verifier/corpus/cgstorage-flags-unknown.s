; flags read from the packet: maybe 0, maybe not
; prog: cgroup_skb
; maps: cgroup_storage 8 8 0
; log: exact
; result: reject
; error: get_local_storage() doesn't support non-zero flags
r2 = *(u32 *)(r1 + 8)
r2 &= 1
ld_pseudo r1, 5, 0
call bpf_get_local_storage
r0 = 1
exit
