; exit without setting r0
; prog: sched_cls
; log: exact
; result: reject
; error: R0 !read_ok
exit
