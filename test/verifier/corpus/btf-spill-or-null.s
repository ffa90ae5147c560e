; the NULL check of a ptr_or_null_ reaches its spilled copy (same id)
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +6
call bpf_skc_to_tcp_sock
*(u64 *)(r10 - 8) = r0
if r0 == 0 goto +3
r1 = *(u64 *)(r10 - 8)
r0 = *(u8 *)(r1 + 18)
r0 = 0
r0 = 0
exit
