; division by a zero register is defined at runtime
; log: exact
; result: accept
r0 = 1
r1 = 0
r0 /= r1
exit
