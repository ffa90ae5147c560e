; signed division (v4)
; log: exact
; result: accept
r0 = -7
r1 = 2
r0 s/= r1
r0 s%= r1
exit
