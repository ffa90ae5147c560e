; jset on a bit known to be zero
; log: exact
; result: accept
r0 = *(u32 *)(r1 + 0)
r0 &= 6
if r0 & 1 goto +1
exit
r0 = *(u64 *)(r0 + 0)
exit
