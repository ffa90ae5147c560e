; a NULL bpf_sk_fullsock of a looked-up socket leaves it held: leaked on that branch
; prog: sched_cls
; result: reject
; error: Unreleased reference id=2 alloc_insn=11
; error: BPF_EXIT instruction in main prog would lead to reference leak
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
if r0 == 0 goto +6
r6 = r0
r1 = r0
call bpf_sk_fullsock
if r0 == 0 goto +2
r1 = r6
call bpf_sk_release
r0 = 0
exit
