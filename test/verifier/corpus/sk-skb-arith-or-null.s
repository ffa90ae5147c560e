; arithmetic on sock_common_or_null
; log: exact
; result: reject
; error: R2 pointer arithmetic on sock_common_or_null prohibited, null-check it first
r2 = *(u64 *)(r1 + 168)
r2 += 4
r0 = 0
exit
