; a socket found in a sockmap must be released
; prog: sched_cls
; maps: sockhash 4 4 1
; log: exact
; result: reject
; error: Unreleased reference id=2 alloc_insn=6
; error: BPF_EXIT instruction in main prog would lead to reference leak
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
r0 = 0
exit
