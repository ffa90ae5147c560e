; bpf_get_local_storage of a per-CPU cgroup storage: this CPU's value
; prog: cgroup_skb
; maps: percpu_cgroup_storage 16 64 0
; log: exact
; result: accept
r2 = 0
ld_pseudo r1, 5, 0
call bpf_get_local_storage
r1 = *(u32 *)(r0 + 0)
r0 = r1
r0 &= 1
exit
