; packet pointers loaded again after the helper are fine
; log: exact
; prog: sched_cls
; result: accept
r6 = r1
*(u32 *)(r10 - 4) = 0
r2 = 0
r3 = r10
r3 += -4
r4 = 4
r5 = 0
call bpf_skb_store_bytes
r7 = *(u32 *)(r6 + 76)
r8 = *(u32 *)(r6 + 80)
r2 = r7
r2 += 4
if r2 > r8 goto +1
r0 = *(u32 *)(r7 + 0)
r0 = 0
exit
