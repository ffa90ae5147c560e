; bpf_sk_fullsock(skb->sk): sock_or_null, its type readable after a NULL check
; prog: sched_cls
; log: exact
; result: accept
r0 = 0
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_sk_fullsock
if r0 == 0 goto +2
r0 = *(u32 *)(r0 + 8)
r0 = 0
exit
