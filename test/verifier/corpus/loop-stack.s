; a loop that writes the stack byte by byte
; log: exact
; result: accept
r1 = 0
l:
r2 = r10
r2 += -64
r2 += r1
*(u8 *)(r2 + 0) = 0
r1 += 1
if r1 < 64 goto l
r0 = *(u64 *)(r10 - 64)
exit
