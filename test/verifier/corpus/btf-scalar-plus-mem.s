; scalar += untrusted memory leaves the scalar as it was
; log: exact
; prog: sched_cls
; result: reject
; error: R2 invalid mem access 'scalar'
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +6
call bpf_skc_to_tcp_sock
if r0 == 0 goto +4
r1 = *(u64 *)(r0 + 760)
r2 = 8
r2 += r1
r2 = *(u8 *)(r2 + 0)
r0 = 0
exit
