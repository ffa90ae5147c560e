; a spilled stack pointer
; log: exact
; result: accept
r2 = r10
r2 += -8
*(u64 *)(r10 - 16) = r2
r3 = *(u64 *)(r10 - 16)
*(u64 *)(r3 + 0) = 1
r0 = *(u64 *)(r10 - 8)
exit
