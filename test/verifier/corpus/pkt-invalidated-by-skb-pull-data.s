; bpf_skb_pull_data may reallocate the packet: old packet pointers are invalid
; prog: sched_cls
; log: exact
; result: reject
; error: R7 invalid mem access 'scalar'
r0 = 0
r6 = r1
r7 = *(u32 *)(r1 + 76)
r8 = *(u32 *)(r1 + 80)
r2 = r7
r2 += 4
if r2 > r8 goto +4
r1 = r6
r2 = 0
call bpf_skb_pull_data
r0 = *(u32 *)(r7 + 0)
exit
