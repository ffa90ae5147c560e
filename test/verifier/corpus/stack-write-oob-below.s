; store below the 512-byte stack
; log: exact
; result: reject
; error: invalid write to stack R10 off=-520 size=8
*(u64 *)(r10 - 520) = 1
r0 = 0
exit
