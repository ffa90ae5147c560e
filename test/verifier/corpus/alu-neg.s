; negation of a constant
; log: exact
; result: accept
r0 = 5
r0 = -r0
exit
