; sk_lookup: a sockmap lookup not yet NULL-checked is a socket-or-NULL, which the argument takes
; prog: sk_lookup
; maps: sockmap 4 8 1
; result: reject
; error: R2 type=map_value_or_null expected=sock
r6 = r1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
r7 = r0
r1 = r6
r2 = r0
r3 = 0
call bpf_sk_assign
if r7 == 0 goto +2
r1 = r7
call bpf_sk_release
r0 = 1
exit
