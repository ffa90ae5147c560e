; on the NULL branch sk is the scalar 0
; log: exact
; result: accept
r2 = *(u64 *)(r1 + 168)
r0 = 1
if r2 != 0 goto +1
r0 = r2
exit
