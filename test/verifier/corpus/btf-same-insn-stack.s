; a load reached with a kernel struct pointer on one path and a stack pointer on another (save_aux_ptr_type)
; log: exact
; prog: sched_cls
; result: reject
; error: same insn cannot be used with different pointers
r6 = *(u32 *)(r1 + 0)
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +9
call bpf_skc_to_tcp_sock
if r0 == 0 goto +7
r2 = r10
r2 += -8
r3 = 0
*(u64 *)(r10 - 8) = r3
if r6 > 5 goto +1
r2 = r0
r0 = *(u32 *)(r2 + 0)
r0 = 0
exit
