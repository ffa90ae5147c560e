; a program has at most one cgroup storage of each type
; prog: cgroup_skb
; maps: cgroup_storage 16 8 0, cgroup_storage 8 8 0
; log: exact
; result: reject
; error: only one cgroup storage of each type is allowed
r2 = 0
ld_pseudo r1, 5, 0
call bpf_get_local_storage
r2 = 0
ld_pseudo r1, 5, 1
call bpf_get_local_storage
r0 = 1
exit
