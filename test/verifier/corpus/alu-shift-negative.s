; negative shift immediate
; log: exact
; result: reject
; error: invalid shift -1
r0 = 1
r0 >>= -1
exit
