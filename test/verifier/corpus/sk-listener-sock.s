; bpf_get_listener_sock of a fullsock
; prog: sched_cls
; log: exact
; result: accept
r0 = 0
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +6
call bpf_sk_fullsock
if r0 == 0 goto +4
r1 = r0
call bpf_get_listener_sock
if r0 == 0 goto +1
r0 = *(u32 *)(r0 + 76)
r0 = 0
exit
