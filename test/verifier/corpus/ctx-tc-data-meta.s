; tc reads data_meta
; prog: sched_cls
; log: exact
; result: accept
r0 = *(u32 *)(r1 + 140)
r0 = 0
exit
