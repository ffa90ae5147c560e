; 32-bit arithmetic on a pointer
; log: exact
; result: reject
; error: R1 32-bit pointer arithmetic prohibited
w1 += 8
r0 = 0
exit
