; stack accesses are strictly aligned
; log: exact
; result: reject
; error: misaligned stack access off 0+0+-12 size 8
r1 = 1
*(u64 *)(r10 - 12) = r1
r0 = 0
exit
