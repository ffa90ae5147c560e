; two frames of 512 bytes
; log: exact
; result: reject
; error: combined stack size of 2 calls is 1024. Too large
*(u64 *)(r10 - 512) = 1
call pc+2
r0 = 0
exit
*(u64 *)(r10 - 512) = 1
r0 = 0
exit
