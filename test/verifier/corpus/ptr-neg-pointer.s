; negating a pointer
; log: exact
; result: accept
r1 = -r1
r0 = 0
exit
