; pointer plus 1<<29
; log: exact
; result: reject
; error: math between fp pointer and 536870912 is not allowed
r2 = r10
r2 += 0x20000000
r0 = 0
exit
