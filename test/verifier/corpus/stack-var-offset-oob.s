; variable stack offset that may leave the stack
; log: exact
; result: reject
; error: misaligned stack access off (0x0; 0xff)+-16+0 size 8
r2 = *(u32 *)(r1 + 0)
r2 &= 0xff
r3 = r10
r3 += -16
r3 += r2
*(u64 *)(r3 + 0) = 1
r0 = 0
exit
