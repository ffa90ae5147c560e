; a callee-saved register no one wrote
; log: exact
; result: reject
; error: R6 !read_ok
r0 = r6
exit
