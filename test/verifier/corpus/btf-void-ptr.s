; a pointer to no struct (sk_rcu.func) is rdonly_untrusted_mem(sz=0): PROBE_MEM reads at any offset
; log: exact
; prog: sched_cls
; result: accept
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r1 = *(u64 *)(r0 + 760)
r2 = *(u64 *)(r1 + 100)
r0 = 0
exit
