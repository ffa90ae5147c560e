; PTR_TO_BTF_ID is read-only: a store of a register into tcp_sock->snd_cwnd
; log: exact
; prog: sched_cls
; result: reject
; error: only read is supported
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r1 = 1
*(u32 *)(r0 + 1444) = r1
r0 = 0
exit
