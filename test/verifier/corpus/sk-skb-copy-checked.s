; a copy shares the id: checking one makes both readable
; log: exact
; result: accept
r0 = 0
r2 = *(u64 *)(r1 + 168)
r3 = r2
if r2 == 0 goto +1
r0 = *(u32 *)(r3 + 4)
exit
