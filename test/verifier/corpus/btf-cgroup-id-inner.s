; tcp6_sock + 0 is its sock_common
; log: exact
; prog: cgroup_skb
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +5
call bpf_skc_to_tcp6_sock
if r0 == 0 goto +3
r1 = r0
r1 += 0
call bpf_sk_cgroup_id
r0 = 1
exit
