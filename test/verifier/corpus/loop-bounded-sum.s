; a loop the verifier walks to its end
; log: exact
; result: accept
r0 = 0
r1 = 0
l:
r0 += r1
r1 += 1
if r1 < 16 goto l
exit
