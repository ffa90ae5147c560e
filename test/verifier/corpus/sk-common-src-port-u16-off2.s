; src_port narrow not at its start
; log: exact
; result: reject
; error: R2 invalid sock_common access off=46 size=2
r0 = 0
r2 = *(u64 *)(r1 + 168)
if r2 == 0 goto +1
r0 = *(u16 *)(r2 + 46)
exit
