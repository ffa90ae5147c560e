; a store into untrusted memory
; log: exact
; prog: sched_cls
; result: reject
; error: R1 cannot write into rdonly_untrusted_mem
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +5
call bpf_skc_to_tcp_sock
if r0 == 0 goto +3
r1 = *(u64 *)(r0 + 760)
r2 = 0
*(u8 *)(r1 + 0) = r2
r0 = 0
exit
