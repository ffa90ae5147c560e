; a 32-bit value from the context can be anything below 2^32: too large a stack offset
; log: exact
; result: reject
; error: invalid unbounded variable-offset write to stack R2
r1 = *(u32 *)(r1 + 0)
w1 += 8
r2 = r10
r2 += -8
r2 += r1
*(u8 *)(r2 + 0) = 0
r0 = 0
exit
