; sockets are read-only
; log: exact
; result: reject
; error: R2 cannot write into sock_common
r0 = 0
r2 = *(u64 *)(r1 + 168)
if r2 == 0 goto +1
*(u32 *)(r2 + 4) = r0
exit
