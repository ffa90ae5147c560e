; untrusted memory plus a variable: no offset tracked, the variable is made precise
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +6
call bpf_skc_to_tcp_sock
if r0 == 0 goto +4
r1 = *(u64 *)(r0 + 760)
r2 = *(u32 *)(r0 + 1444)
r1 += r2
r1 += 4
r0 = 0
exit
