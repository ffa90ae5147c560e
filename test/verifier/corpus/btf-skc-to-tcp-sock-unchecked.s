; a bpf_skc_to_* result is read before its NULL check
; log: exact
; prog: sched_cls
; result: reject
; error: R0 invalid mem access 'ptr_or_null_'
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +3
call bpf_skc_to_tcp_sock
r1 = *(u32 *)(r0 + 0)
r0 = 0
exit
