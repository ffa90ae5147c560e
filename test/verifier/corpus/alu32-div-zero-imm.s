; 32-bit division by zero immediate
; log: exact
; result: reject
; error: div by zero
w0 = 1
w0 /= 0
exit
