; bpf_get_hash_recalc takes the context but does not change the packet: packet pointers stay valid
; prog: sched_cls
; log: exact
; result: accept
r0 = 0
r6 = r1
r7 = *(u32 *)(r1 + 76)
r8 = *(u32 *)(r1 + 80)
r2 = r7
r2 += 4
if r2 > r8 goto +3
r1 = r6
call bpf_get_hash_recalc
r0 = *(u32 *)(r7 + 0)
exit
