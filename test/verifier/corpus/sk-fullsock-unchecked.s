; the result of bpf_sk_fullsock read without a NULL check
; prog: sched_cls
; log: exact
; result: reject
; error: R0 invalid mem access 'sock_or_null'
r0 = 0
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +2
call bpf_sk_fullsock
r0 = *(u32 *)(r0 + 8)
r0 = 0
exit
