; one store into the context (cb) on one path, into the stack on the other
; log: exact
; result: reject
; error: same insn cannot be used with different pointers
r2 = r1
r3 = 0
*(u64 *)(r10 - 56) = r3
r4 = *(u32 *)(r1 + 0)
if r4 == 0 goto +2
r2 = r10
r2 += -96
*(u32 *)(r2 + 48) = r3
r0 = 0
exit
