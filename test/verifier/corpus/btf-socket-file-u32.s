; socket->file is a pointer: a u32 load of it is refused
; log: exact
; prog: sched_cls
; result: reject
; error: cannot access ptr member file with moff 16 in struct socket with off 16 size 4
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r1 = *(u64 *)(r0 + 288)
r2 = *(u32 *)(r1 + 16)
r0 = 0
exit
