; spilled and filled, the pointer keeps its type
; result: accept
r0 = 0
r2 = *(u64 *)(r1 + 168)
*(u64 *)(r10 - 8) = r2
r3 = *(u64 *)(r10 - 8)
if r3 == 0 goto +1
r0 = *(u32 *)(r3 + 4)
exit
