; sk_lookup: a stack pointer is not a socket
; prog: sk_lookup
; result: reject
; error: R2 type=fp expected=sock
r2 = r10
r2 += -8
r3 = 0
call bpf_sk_assign
r0 = 1
exit
