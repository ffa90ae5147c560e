; the socket's network namespace inode: sk->__sk_common.skc_net.net->ns.inum (struct net, one pointer hop)
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r1 = *(u64 *)(r0 + 48)
r2 = *(u32 *)(r1 + 176)
r0 = 0
exit
