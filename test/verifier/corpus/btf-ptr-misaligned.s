; a u64 load across a pointer member (hlist_node.next at 24)
; log: exact
; prog: sched_cls
; result: reject
; error: cannot access ptr member next with moff 0 in struct hlist_node with off 4 size 8
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +3
call bpf_skc_to_tcp_sock
if r0 == 0 goto +1
r1 = *(u64 *)(r0 + 28)
r0 = 0
exit
