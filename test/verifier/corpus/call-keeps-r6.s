; R6-R9 survive a call
; log: exact
; result: accept
r6 = 1
call pc+2
r0 = r6
exit
r0 = 0
exit
