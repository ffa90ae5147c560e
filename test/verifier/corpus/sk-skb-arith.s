; arithmetic on a NULL-checked sock_common
; log: exact
; result: reject
; error: R2 pointer arithmetic on sock_common prohibited
r0 = 0
r2 = *(u64 *)(r1 + 168)
if r2 == 0 goto +1
r2 += 4
exit
