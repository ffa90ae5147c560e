; exit without setting R0
; log: exact
; result: reject
; error: R0 !read_ok
exit
