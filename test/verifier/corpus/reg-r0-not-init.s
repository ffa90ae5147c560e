; exit without setting R0
; result: reject
; error: R0 !read_ok
exit
