; raw tracepoint args[1]
; prog: raw_tracepoint
; log: exact
; result: accept
r0 = *(u64 *)(r1 + 8)
exit
