; 2-byte load of protocol
; log: exact
; result: accept
r0 = *(u16 *)(r1 + 16)
exit
