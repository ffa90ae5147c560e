; bpf_sk_cgroup_id of a fullsock in cgroup_skb
; prog: cgroup_skb
; log: exact
; result: accept
r0 = 1
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_sk_fullsock
if r0 == 0 goto +2
r1 = r0
call bpf_sk_cgroup_id
r0 = 1
exit
