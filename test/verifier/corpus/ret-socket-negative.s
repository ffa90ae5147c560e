; socket filters return any value
; log: exact
; result: accept
r0 = -1
exit
