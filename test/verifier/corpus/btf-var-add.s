; a variable offset on PTR_TO_BTF_ID: the load is refused
; log: exact
; prog: sched_cls
; result: reject
; error: R0 is ptr_tcp_sock invalid variable offset: off=0, var_off=(0x0; 0x4)
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +6
call bpf_skc_to_tcp_sock
if r0 == 0 goto +4
r2 = *(u32 *)(r0 + 1444)
r2 &= 4
r0 += r2
r1 = *(u32 *)(r0 + 0)
r0 = 0
exit
