; sign-extending load from a socket
; log: exact
; result: accept
r0 = 0
r2 = *(u64 *)(r1 + 168)
if r2 == 0 goto +1
r0 = *(s32 *)(r2 + 4)
exit
