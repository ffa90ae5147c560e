; bpf_get_local_storage takes cgroup storages only
; prog: cgroup_skb
; maps: hash 8 8 1
; log: exact
; result: reject
; error: cannot pass map_type 1 into func bpf_get_local_storage#81
r2 = 0
ld_pseudo r1, 5, 0
call bpf_get_local_storage
r1 = *(u32 *)(r0 + 0)
r0 = r1
r0 &= 1
exit
