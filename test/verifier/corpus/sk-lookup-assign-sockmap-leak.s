; sk_lookup: selecting a socket does not release the sockmap lookup's reference
; prog: sk_lookup
; maps: sockmap 4 8 1
; result: reject
; error: Unreleased reference id=2 alloc_insn=7
; error: BPF_EXIT instruction in main prog would lead to reference leak
r6 = r1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto +4
r1 = r6
r2 = r0
r3 = 0
call bpf_sk_assign
r0 = 1
exit
