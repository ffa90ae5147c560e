; one shared and one per-CPU cgroup storage, each used twice
; prog: cgroup_skb
; maps: cgroup_storage 16 8 0, percpu_cgroup_storage 8 16 0
; log: exact
; result: accept
r2 = 0
ld_pseudo r1, 5, 0
call bpf_get_local_storage
r6 = r0
r2 = 0
ld_pseudo r1, 5, 1
call bpf_get_local_storage
r1 = *(u64 *)(r0 + 8)
*(u64 *)(r6 + 0) = r1
r2 = 0
ld_pseudo r1, 5, 0
call bpf_get_local_storage
r0 = *(u32 *)(r0 + 4)
r0 &= 1
exit
