; variable subtraction from the stack pointer
; log: exact
; result: reject
; error: R3 subtraction from stack pointer prohibited
r2 = *(u32 *)(r1 + 0)
r2 &= 7
r3 = r10
r3 -= r2
r0 = 0
exit
