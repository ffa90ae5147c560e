; sk_lookup: the context is not a socket
; prog: sk_lookup
; result: reject
; error: R2 type=ctx expected=sock
r2 = r1
r3 = 0
call bpf_sk_assign
r0 = 1
exit
