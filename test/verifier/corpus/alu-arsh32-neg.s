; 32-bit arithmetic shift
; log: exact
; result: accept
w0 = -16
w0 s>>= 2
exit
