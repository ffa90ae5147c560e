; bpf_get_socket_cookie in tc takes the context
; log: exact
; prog: sched_cls
; result: reject
; error: R1 type=ptr_ expected=ctx
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +4
call bpf_skc_to_tcp_sock
if r0 == 0 goto +2
r1 = r0
call bpf_get_socket_cookie
r0 = 0
exit
