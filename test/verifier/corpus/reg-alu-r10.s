; no arithmetic on R10 in place
; log: exact
; result: reject
; error: frame pointer is read only
r10 += 8
r0 = 0
exit
