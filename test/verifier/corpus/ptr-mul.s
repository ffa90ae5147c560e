; multiplication of a pointer
; log: exact
; result: reject
; error: R1 pointer arithmetic with *= operator prohibited
r1 *= 8
r0 = 0
exit
