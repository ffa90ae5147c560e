; store at fp+0
; log: exact
; result: reject
; error: invalid write to stack R10 off=0 size=8
*(u64 *)(r10 + 0) = 1
r0 = 0
exit
