; a 32-bit add zero-extends: the result is below 2^32 and may offset nothing larger
; log: exact
; result: accept
w1 = -1
w1 += 1
r2 = r10
r2 += -8
r2 += r1
*(u64 *)(r2 + 0) = 0
r0 = 0
exit
