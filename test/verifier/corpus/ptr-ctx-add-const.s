; ctx plus a constant
; result: accept
r1 += 8
r0 = 0
exit
