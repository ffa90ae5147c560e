; 64-bit constant
; result: accept
r0 = 0x123456789 ll
exit
