; a stack pointer where the context is expected
; log: exact
; result: reject
; error: R1 type=fp expected=ctx
r1 = r10
call bpf_get_socket_cookie
r0 = 0
exit
