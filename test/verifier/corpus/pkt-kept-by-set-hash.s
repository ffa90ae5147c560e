; bpf_set_hash writes skb->hash, not the packet: packet pointers stay valid (bpf_helper_changes_pkt_data)
; prog: sched_cls
; log: exact
; result: accept
r0 = 0
r6 = r1
r7 = *(u32 *)(r1 + 76)
r8 = *(u32 *)(r1 + 80)
r2 = r7
r2 += 4
if r2 > r8 goto +4
r1 = r6
r2 = 7
call bpf_set_hash
r0 = *(u32 *)(r7 + 0)
exit
