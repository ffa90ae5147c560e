; load through a scalar
; log: exact
; result: reject
; error: R0 invalid mem access 'scalar'
r0 = 0
r0 = *(u64 *)(r0 + 0)
exit
