; past the end of struct inode, three hops from the socket
; log: exact
; prog: sched_cls
; result: reject
; error: access beyond struct inode at off 4096 size 1
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +6
call bpf_skc_to_tcp_sock
if r0 == 0 goto +4
r1 = *(u64 *)(r0 + 288)
r1 = *(u64 *)(r1 + 16)
r1 = *(u64 *)(r1 + 32)
r2 = *(u8 *)(r1 + 4096)
r0 = 0
exit
