; pointer plus a value with no lower bound
; log: exact
; result: reject
; error: value -2147483648 makes fp pointer be out of bounds
r2 = *(u32 *)(r1 + 0)
r2 <<= 32
r2 s>>= 32
r3 = r10
r3 += r2
r0 = 0
exit
