; 64-bit constant
; log: exact
; result: accept
r0 = 0x123456789 ll
exit
