; sk_lookup: a non-zero scalar is not a socket
; prog: sk_lookup
; result: reject
; error: R2 type=scalar expected=sock
r2 = 1
r3 = 0
call bpf_sk_assign
r0 = 1
exit
