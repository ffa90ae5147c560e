; through tcp6_sock.inet6 (ipv6_pinfo, held by value): tcp6_sock + 2304 is no sock_common
; log: exact
; prog: cgroup_skb
; result: reject
; error: R1 is of type tcp6_sock but sock_common is expected
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +8
call bpf_skc_to_tcp6_sock
if r0 == 0 goto +6
r1 = *(u64 *)(r0 + 784)
r2 = *(u32 *)(r1 + 0)
r3 = r0
r3 += 2304
r1 = r3
call bpf_sk_cgroup_id
r0 = 1
exit
