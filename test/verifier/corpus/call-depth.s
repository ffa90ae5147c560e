; nine nested calls
; log: exact
; result: reject
; error: the call stack of 9 frames is too deep
call pc+2
r0 = 0
exit
call pc+2
r0 = 0
exit
call pc+2
r0 = 0
exit
call pc+2
r0 = 0
exit
call pc+2
r0 = 0
exit
call pc+2
r0 = 0
exit
call pc+2
r0 = 0
exit
call pc+2
r0 = 0
exit
call pc+2
r0 = 0
exit
r0 = 0
exit
