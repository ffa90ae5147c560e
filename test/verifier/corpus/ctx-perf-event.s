; sample_period
; prog: perf_event
; log: exact
; result: accept
r0 = *(u64 *)(r1 + 168)
exit
