; a looked-up socket read through its cast and never released
; log: exact
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
call bpf_skc_lookup_tcp
if r0 == 0 goto +5
r1 = r0
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r7 = *(u32 *)(r0 + 1444)
r0 = 0
r0 = 0
exit
