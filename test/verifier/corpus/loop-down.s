; a count-down loop
; log: exact
; result: accept
r0 = 0
r1 = 20
l:
r1 -= 1
if r1 != 0 goto l
exit
