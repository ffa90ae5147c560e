; a pointer as the flags of bpf_get_local_storage (privileged: no leak, but not 0)
; prog: cgroup_skb
; maps: percpu_cgroup_storage 16 64 0
; log: exact
; result: reject
; error: get_local_storage() doesn't support non-zero flags
r2 = r1
ld_pseudo r1, 5, 0
call bpf_get_local_storage
r1 = *(u32 *)(r0 + 0)
r0 = r1
r0 &= 1
exit
