; callee returns without setting R0
; log: exact
; result: reject
; error: R0 !read_ok
call pc+1
exit
exit
