; a bounded loop is explored to its end
; log: exact
; result: accept
r0 = 0
r1 = 0
l:
r1 += 1
if r1 < 10 goto l
exit
