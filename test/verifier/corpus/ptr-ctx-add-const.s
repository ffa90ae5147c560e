; ctx plus a constant
; log: exact
; result: accept
r1 += 8
r0 = 0
exit
