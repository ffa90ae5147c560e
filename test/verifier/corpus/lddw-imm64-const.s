; a 64-bit immediate is a known constant: it may bound a stack offset
; log: exact
; result: accept
r1 = 0xfffffffffffffff8 ll
r2 = r10
r2 += r1
*(u64 *)(r2 + 0) = 0
r0 = 0
exit
