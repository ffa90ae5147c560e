# Stack accesses through the fp local (offset + 512 as the memarg offset),
# input accesses at r1 with positive and negative offsets, a sign-extending
# load, a store of an immediate, and an atomic with its alignment check.
r2 = *(u64 *)(r1 +8)
*(u64 *)(r10 -8) = r2
r3 = *(s16 *)(r10 -8)
*(u32 *)(r1 -4) = 7
lock *(u64 *)(r10 -8) += r3
r0 = *(u64 *)(r10 -8)
exit
