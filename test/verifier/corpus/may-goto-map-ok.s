; a map lookup inside a may_goto loop with its NULL check: every iteration the same, the second one converges
; maps: hash 4 8 16
; result: accept
r6 = 0
l:
may_goto +11
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto +2
r1 = *(u64 *)(r0 + 0)
r6 += r1
r6 += 1
goto l
r0 = 0
exit
