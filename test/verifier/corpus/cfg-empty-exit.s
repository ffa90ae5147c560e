; smallest program
; result: accept
r0 = 0
exit
