; live stack: reads before a whole-slot write of the same slot (-8 read then written, -24 read)
; log: exact
; result: accept
r1 = *(u64 *)(r10 - 8)
r2 = *(u64 *)(r10 - 24)
*(u64 *)(r10 - 8) = r1
r0 = 0
exit
