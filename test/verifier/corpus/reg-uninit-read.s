; R2 is not initialised at entry
; log: exact
; result: reject
; error: R2 !read_ok
r0 = r2
exit
