; jset with a register
; log: exact
; result: accept
r0 = *(u32 *)(r1 + 0)
r2 = 1
if r0 & r2 goto +2
r0 = 0
exit
r0 = 1
exit
