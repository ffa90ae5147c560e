; signed range refinement
; log: exact
; result: accept
r0 = *(u32 *)(r1 + 0)
if r0 s> 5 goto +2
if r0 s< 6 goto +1
r0 = *(u64 *)(r0 + 0)
r0 = 0
exit
