; copying a pointer is fine
; result: accept
r2 = r1
r0 = 0
exit
