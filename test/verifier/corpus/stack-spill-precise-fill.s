; a spilled constant stays known
; log: exact
; result: accept
r1 = 42
*(u64 *)(r10 - 8) = r1
r0 = *(u64 *)(r10 - 8)
r0 += 1
exit
