; narrow load of mark
; log: exact
; result: accept
r0 = *(u8 *)(r1 + 8)
exit
