; copying a pointer is fine
; log: exact
; result: accept
r2 = r1
r0 = 0
exit
