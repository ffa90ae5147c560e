; bpf_sk_release of skb->sk, which the program does not hold
; prog: sched_cls
; log: exact
; result: reject
; error: R1 must be referenced when passed to release function
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +1
call bpf_sk_release
r0 = 0
exit
