; negation of a constant
; result: accept
r0 = 5
r0 = -r0
exit
