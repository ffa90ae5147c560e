; a constant added to the pointer moves its fixed offset (off=1444), the load reads snd_cwnd
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r0 += 1444
r1 = *(u32 *)(r0 + 0)
r0 = 0
exit
