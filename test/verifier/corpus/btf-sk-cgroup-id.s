; bpf_sk_cgroup_id of a tcp_sock cast (cgroup_skb)
; log: exact
; prog: cgroup_skb
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r1 = r0
call bpf_sk_cgroup_id
r0 = 1
exit
