; socket filters have no cgroup storage to ask for
; maps: cgroup_storage 16 8 0
; log: exact
; result: reject
; error: program of this type cannot use helper bpf_get_local_storage#81
r2 = 0
ld_pseudo r1, 5, 0
call bpf_get_local_storage
r0 = 0
exit
