; ns.inum is a u32: a u64 load of it runs past the member
; log: exact
; prog: sched_cls
; result: reject
; error: access beyond the end of member inum (mend:28) in struct ns_common with off 24 size 8
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r1 = *(u64 *)(r0 + 48)
r2 = *(u64 *)(r1 + 176)
r0 = 0
exit
