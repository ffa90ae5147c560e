; a subprogram calling itself
; log: exact
; result: reject
; error: the call stack of 9 frames is too deep
call pc+1
exit
call pc-1
r0 = 0
exit
