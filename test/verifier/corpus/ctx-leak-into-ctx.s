; a 4-byte store of a pointer into cb
; log: exact
; result: accept
*(u32 *)(r1 + 48) = r10
r0 = 0
exit
