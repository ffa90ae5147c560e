; scalar minus pointer
; log: exact
; result: reject
; error: R2 tried to subtract pointer from scalar
r2 = 5
r2 -= r10
r0 = 0
exit
