; skb->sk is not referenced: its cast cannot be released
; log: exact
; prog: sched_cls
; result: reject
; error: R1 must be referenced when passed to release function
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r1 = r0
call bpf_sk_release
r0 = 0
exit
