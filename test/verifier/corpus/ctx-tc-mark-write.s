; tc may set the mark
; prog: sched_cls
; log: exact
; result: accept
r2 = 1
*(u32 *)(r1 + 8) = r2
r0 = 0
exit
