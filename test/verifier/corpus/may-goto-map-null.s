; a map lookup inside a may_goto loop still needs its NULL check
; maps: hash 4 8 16
; log: exact
; result: reject
; error: R0 invalid mem access 'map_value_or_null'
l:
may_goto +8
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
r0 = *(u64 *)(r0 + 0)
goto l
r0 = 0
exit
