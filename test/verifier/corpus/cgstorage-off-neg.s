; a read before the per-CPU cgroup storage value
; prog: cgroup_skb
; maps: percpu_cgroup_storage 16 64 0
; log: exact
; result: reject
; error: invalid access to map value, value_size=64 off=-2 size=4
; error: R0 min value is outside of the allowed memory range
r2 = 0
ld_pseudo r1, 5, 0
call bpf_get_local_storage
r1 = *(u32 *)(r0 - 2)
r0 = r1
exit
