; smallest program
; log: exact
; result: accept
r0 = 0
exit
