; a non-GPL program may call bpf_skc_to_tcp_sock but not read the kernel struct
; log: exact
; prog: sched_cls
; license: MIT
; result: reject
; error: Cannot access kernel 'struct tcp_sock' from non-GPL compatible program
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +3
call bpf_skc_to_tcp_sock
if r0 == 0 goto +1
r1 = *(u32 *)(r0 + 0)
r0 = 0
exit
