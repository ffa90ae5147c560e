; an ALU source that was never written
; log: exact
; result: reject
; error: R3 !read_ok
r0 = 1
r0 += r3
exit
