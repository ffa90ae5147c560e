; bpf_sk_assign of a looked-up socket, then its release
; prog: sched_cls
; result: accept
r6 = r1
r2 = 0
*(u64 *)(r10 - 8) = r2
*(u64 *)(r10 - 16) = r2
*(u64 *)(r10 - 24) = r2
*(u64 *)(r10 - 32) = r2
*(u64 *)(r10 - 40) = r2
r2 = r10
r2 += -40
r3 = 36
r4 = -1
r5 = 0
call bpf_sk_lookup_tcp
if r0 == 0 goto +7
r7 = r0
r1 = r6
r2 = r0
r3 = 0
call bpf_sk_assign
r1 = r7
call bpf_sk_release
r0 = 0
exit
