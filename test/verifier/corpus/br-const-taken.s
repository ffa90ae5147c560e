; a branch decided by constants skips the bad load
; log: exact
; result: accept
r0 = 0
r1 = 5
if r1 > 4 goto +1
r0 = *(u64 *)(r0 + 0)
exit
