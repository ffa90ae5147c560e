# What the JIT fuses: the rotate idiom (one i64.rotl; r1 keeps its shifted
# value), an add that feeds a load or store (the address summed in i32,
# reused by the next access through the same register), and a 16-bit load
# with the byte swap of what it loaded.
r1 = r2
r2 <<= 13
r1 >>= 51
r2 |= r1
r3 = r6
r3 += r7
r4 = *(u32 *)(r3 +0)
*(u32 *)(r3 +4) = r4
r5 = *(u16 *)(r3 +8)
r5 = be16 r5
r0 = r2
exit
