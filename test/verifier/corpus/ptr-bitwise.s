; and on a pointer
; log: exact
; result: reject
; error: R1 bitwise operator &= on pointer prohibited
r1 &= 8
r0 = 0
exit
