; bswap64 of a constant
; log: exact
; result: accept
r0 = 0x1122 ll
r0 = bswap64 r0
exit
