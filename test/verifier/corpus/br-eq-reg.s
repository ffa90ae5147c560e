; equality with a register
; log: exact
; result: accept
r0 = *(u32 *)(r1 + 0)
r2 = 4
if r0 != r2 goto +2
if r0 == 4 goto +1
r0 = *(u64 *)(r0 + 0)
r0 = 0
exit
