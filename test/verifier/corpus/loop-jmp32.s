; a 32-bit loop counter
; log: exact
; result: accept
r0 = 0
w1 = 0
l:
w1 += 2
if w1 < 50 goto l
exit
