; tcp_sock + 4 is no sock_common
; log: exact
; prog: cgroup_skb
; result: reject
; error: R1 is of type tcp_sock but sock_common is expected
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +5
call bpf_skc_to_tcp_sock
if r0 == 0 goto +3
r1 = r0
r1 += 4
call bpf_sk_cgroup_id
r0 = 1
exit
