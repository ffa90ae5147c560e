; PTR_TO_BTF_ID is read-only: a store of an immediate
; log: exact
; prog: sched_cls
; result: reject
; error: only read is supported
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +3
call bpf_skc_to_tcp_sock
if r0 == 0 goto +1
*(u32 *)(r0 + 1444) = 1
r0 = 0
exit
