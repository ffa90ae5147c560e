; the bad load is on the only path
; log: exact
; result: reject
; error: R0 invalid mem access 'scalar'
r0 = 0
r1 = 5
if r1 < 4 goto +1
r0 = *(u64 *)(r0 + 0)
exit
