; sign-extending move (v4)
; log: exact
; result: accept
r0 = 0xff
r0 = (s8)r0
exit
