; releasing the socket invalidates its cast
; log: exact
; prog: sched_cls
; result: reject
; error: R7 invalid mem access 'scalar'
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
call bpf_skc_lookup_tcp
if r0 == 0 goto +7
r6 = r0
r1 = r0
call bpf_skc_to_tcp6_sock
if r0 == 0 goto +3
r7 = r0
r1 = r6
call bpf_sk_release
r0 = *(u32 *)(r7 + 0)
r0 = 0
exit
