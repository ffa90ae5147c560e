; pointer minus pointer is a scalar
; log: exact
; result: accept
r2 = r10
r3 = r10
r2 -= r3
r0 = r2
exit
