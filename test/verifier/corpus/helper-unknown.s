; an unknown helper id
; log: exact
; result: reject
; error: invalid func unknown#10000
call 10000
r0 = 0
exit
