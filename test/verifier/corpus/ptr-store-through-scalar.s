; store through a scalar
; log: exact
; result: reject
; error: R2 invalid mem access 'scalar'
r2 = 8
*(u64 *)(r2 + 0) = 1
r0 = 0
exit
