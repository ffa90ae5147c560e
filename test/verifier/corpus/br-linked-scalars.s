; bounds learnt on r0 apply to its copy r2
; log: exact
; result: accept
r0 = *(u32 *)(r1 + 0)
r2 = r0
if r0 > 7 goto +4
if r2 < 8 goto +1
r0 = *(u64 *)(r0 + 0)
r0 = 0
exit
r0 = 0
exit
