; one load through the context on one path, through sk on the other
; log: exact
; result: reject
; error: same insn cannot be used with different pointers
r2 = r1
r3 = *(u64 *)(r1 + 168)
if r3 == 0 goto +1
r2 = r3
r0 = *(u32 *)(r2 + 4)
exit
