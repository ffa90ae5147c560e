; 32-bit arithmetic on constants
; log: exact
; result: accept
w0 = -1
w0 += 1
w0 *= 7
w0 |= 3
w0 &= 0xf
w0 ^= 1
w0 >>= 1
w0 s>>= 1
exit
