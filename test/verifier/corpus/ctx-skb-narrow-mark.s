; narrow load of mark
; result: accept
r0 = *(u8 *)(r1 + 8)
exit
