; 32-bit arithmetic on a pointer is prohibited
; log: exact
; result: reject
; error: R1 32-bit pointer arithmetic prohibited
r1 = r10
w1 += -8
r0 = 0
exit
