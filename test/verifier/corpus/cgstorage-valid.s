; bpf_get_local_storage gives the cgroup storage value, never NULL
; prog: cgroup_skb
; maps: cgroup_storage 16 64 0
; log: exact
; result: accept
r2 = 0
ld_pseudo r1, 5, 0
call bpf_get_local_storage
r1 = *(u32 *)(r0 + 60)
r0 = r1
r0 &= 1
exit
