; the first record field
; prog: tracepoint
; log: exact
; result: accept
r0 = *(u64 *)(r1 + 8)
exit
