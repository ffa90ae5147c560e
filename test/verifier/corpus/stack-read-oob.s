; load below the stack
; log: exact
; result: reject
; error: invalid read from stack R10 off=-520 size=8
r0 = *(u64 *)(r10 - 520)
exit
