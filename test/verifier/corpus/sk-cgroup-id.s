; bpf_sk_cgroup_id is not among the tc helpers
; prog: sched_cls
; log: exact
; result: reject
; error: program of this type cannot use helper bpf_sk_cgroup_id#128
r0 = 0
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_sk_fullsock
if r0 == 0 goto +2
r1 = r0
call bpf_sk_cgroup_id
r0 = 0
exit
