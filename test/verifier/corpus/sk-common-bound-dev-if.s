; bound_dev_if (offset 0) is a sock_common field
; log: exact
; result: accept
r0 = 0
r2 = *(u64 *)(r1 + 168)
if r2 == 0 goto +1
r0 = *(u32 *)(r2 + 0)
exit
