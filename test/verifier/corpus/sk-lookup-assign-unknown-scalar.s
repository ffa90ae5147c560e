; sk_lookup: a scalar that may be zero is still no socket
; prog: sk_lookup
; result: reject
; error: R2 type=scalar expected=sock
r6 = *(u32 *)(r1 + 12)
r2 = r6
r3 = 0
call bpf_sk_assign
r0 = 1
exit
