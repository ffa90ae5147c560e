; a byte of a spilled constant 1 at an unaligned offset is an unknown byte: no variable ctx offset
; log: exact
; result: reject
; error: variable ctx access var_off=(0x0; 0xff) disallowed
*(u64 *)(r10 - 8) = 1
r7 = *(u8 *)(r10 - 1)
r1 += r7
r0 = *(u32 *)(r1 + 0)
exit
