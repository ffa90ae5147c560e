; bpf_sk_assign takes a kernel struct pointer (ARG_PTR_TO_BTF_ID_SOCK_COMMON)
; log: exact
; prog: sched_cls
; result: accept
r6 = r1
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +6
call bpf_skc_to_tcp_sock
if r0 == 0 goto +4
r1 = r6
r2 = r0
r3 = 0
call bpf_sk_assign
r0 = 0
exit
