; sk->sk_socket->file->f_inode->i_ino: three pointer hops, the last struct read
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +6
call bpf_skc_to_tcp_sock
if r0 == 0 goto +4
r1 = *(u64 *)(r0 + 288)
r1 = *(u64 *)(r1 + 16)
r1 = *(u64 *)(r1 + 32)
r2 = *(u64 *)(r1 + 64)
r0 = 0
exit
