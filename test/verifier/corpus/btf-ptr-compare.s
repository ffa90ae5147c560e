; comparing two kernel struct pointers (privileged)
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r1 = r0
if r1 > r0 goto +0
r0 = 0
exit
