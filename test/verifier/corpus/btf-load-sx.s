; a sign-extending load of skc_family
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +3
call bpf_skc_to_tcp_sock
if r0 == 0 goto +1
r1 = *(s16 *)(r0 + 16)
r0 = 0
exit
