; the second iteration reads R2, which nothing on the way there set
; log: exact
; result: reject
; error: R2 !read_ok
r1 = 0
l:
may_goto +4
if r1 == 0 goto +1
r0 = r2
r1 += 1
goto l
r0 = 0
exit
