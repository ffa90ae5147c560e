; 32-bit shift by 32
; log: exact
; result: reject
; error: invalid shift 32
w0 = 1
w0 <<= 32
exit
