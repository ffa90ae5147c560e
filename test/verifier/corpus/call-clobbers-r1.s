; R1-R5 are not preserved across a call
; log: exact
; result: reject
; error: R1 !read_ok
r1 = 1
call pc+2
r0 = r1
exit
r0 = 0
exit
