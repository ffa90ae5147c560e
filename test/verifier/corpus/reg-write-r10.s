; the frame pointer is read only
; log: exact
; result: reject
; error: frame pointer is read only
r10 = 0
r0 = 0
exit
