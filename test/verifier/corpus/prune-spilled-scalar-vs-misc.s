; a spilled scalar nothing depended on covers a slot of misc bytes: both load as an unknown scalar (stacksafe, scalar_reg_for_stack), so the second path is pruned at the join
; prog: socket_filter
; log: exact
; result: accept
call bpf_get_prandom_u32
if r0 == 0 goto +7
r1 = 5
r2 = 6
r3 = 7
r4 = 8
r5 = 9
*(u64 *)(r10 - 8) = r1
goto +4
call bpf_get_prandom_u32
*(u32 *)(r10 - 8) = r0
*(u32 *)(r10 - 4) = r0
goto +0
r1 = *(u64 *)(r10 - 8)
r0 = 0
exit
