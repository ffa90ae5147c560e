; state narrow from its start
; log: exact
; result: accept
r0 = 0
r2 = *(u64 *)(r1 + 168)
if r2 == 0 goto +1
r0 = *(u16 *)(r2 + 72)
exit
