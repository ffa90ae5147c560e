; narrow load of family not at its start
; log: exact
; result: reject
; error: R2 invalid sock_common access off=5 size=1
r0 = 0
r2 = *(u64 *)(r1 + 168)
if r2 == 0 goto +1
r0 = *(u8 *)(r2 + 5)
exit
