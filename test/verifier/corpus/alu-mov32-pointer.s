; a 32-bit copy of a pointer is a scalar
; log: exact
; result: accept
w0 = w1
exit
