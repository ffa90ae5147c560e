; 8-byte store to cb
; log: exact
; result: accept
r2 = 0
*(u64 *)(r1 + 48) = r2
r0 = 0
exit
