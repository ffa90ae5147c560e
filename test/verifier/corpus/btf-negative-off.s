; a load before the start of the struct
; log: exact
; prog: sched_cls
; result: reject
; error: R0 is ptr_tcp_sock invalid negative access: off=-4
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +3
call bpf_skc_to_tcp_sock
if r0 == 0 goto +1
r1 = *(u32 *)(r0 - 4)
r0 = 0
exit
