; bpf_sk_ancestor_cgroup_id of a tcp_sock cast
; log: exact
; prog: cgroup_skb
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +5
call bpf_skc_to_tcp_sock
if r0 == 0 goto +3
r1 = r0
r2 = 1
call bpf_sk_ancestor_cgroup_id
r0 = 1
exit
