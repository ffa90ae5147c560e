; call past the end
; log: exact
; result: reject
; error: call to invalid destination
call pc+5
r0 = 0
exit
