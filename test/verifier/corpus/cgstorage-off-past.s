; a read past the cgroup storage value
; prog: cgroup_skb
; maps: cgroup_storage 16 64 0
; log: exact
; result: reject
; error: invalid access to map value, value_size=64 off=256 size=4
; error: R0 min value is outside of the allowed memory range
r2 = 0
ld_pseudo r1, 5, 0
call bpf_get_local_storage
r1 = *(u32 *)(r0 + 256)
r0 = 0
exit
