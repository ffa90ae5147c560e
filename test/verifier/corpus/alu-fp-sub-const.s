; fp minus a constant
; log: exact
; result: reject
; error: R2 subtraction from stack pointer prohibited
r2 = r10
r2 -= 8
*(u64 *)(r2 + 0) = 1
r0 = 0
exit
