; the impossible branch is not explored
; log: exact
; result: accept
r0 = *(u32 *)(r1 + 0)
if r0 == 3 goto +1
exit
if r0 != 3 goto +1
exit
r0 = *(u64 *)(r0 + 0)
exit
