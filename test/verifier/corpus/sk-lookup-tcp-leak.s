; bpf_sk_lookup_tcp: a socket not released is a leaked reference
; prog: sched_cls
; log: exact
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
r0 = 0
exit
