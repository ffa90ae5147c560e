; a tail call that does not happen returns to the caller with the packet unchanged: in the main program, packet pointers stay valid
; prog: sched_cls
; log: exact
; maps: prog_array 4 4 1
; result: accept
r0 = 0
r6 = r1
r7 = *(u32 *)(r1 + 76)
r8 = *(u32 *)(r1 + 80)
r2 = r7
r2 += 4
if r2 > r8 goto +6
r1 = r6
ld_pseudo r2, 5, 0
r3 = 0
call bpf_tail_call
r0 = *(u32 *)(r7 + 0)
exit
