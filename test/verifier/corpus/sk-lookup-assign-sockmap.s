; sk_lookup: a socket from a sockmap, NULL-checked, selected and released
; prog: sk_lookup
; maps: sockmap 4 8 1
; result: accept
r6 = r1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto +7
r7 = r0
r1 = r6
r2 = r0
r3 = 0
call bpf_sk_assign
r1 = r7
call bpf_sk_release
r0 = 1
exit
