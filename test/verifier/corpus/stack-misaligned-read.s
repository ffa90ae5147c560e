; misaligned stack read
; log: exact
; result: reject
; error: misaligned stack access off 0+0+-6 size 4
r0 = *(u32 *)(r10 - 6)
exit
