; modulo by a zero immediate
; log: exact
; result: reject
; error: div by zero
r0 = 1
r0 %= 0
exit
