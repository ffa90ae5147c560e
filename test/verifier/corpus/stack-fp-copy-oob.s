; fp+8-8 is fp+0
; log: exact
; result: reject
; error: invalid read from stack R2 off=0 size=8
r2 = r10
r2 += 8
r0 = *(u64 *)(r2 - 8)
exit
