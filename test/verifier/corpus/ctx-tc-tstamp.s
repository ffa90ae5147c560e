; tc reads tstamp
; prog: sched_cls
; log: exact
; result: accept
r0 = *(u64 *)(r1 + 152)
exit
