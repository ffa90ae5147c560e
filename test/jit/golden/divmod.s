# Division and remainder by a register (guarded: by 0, and signed INT_MIN / -1),
# by immediates (0 and -1 folded), byte swaps and LD_ABS.
r0 = r1
r0 /= r2
r0 s%= r2
w0 s/= w2
r0 /= 0
r0 s/= -1
r0 = be16 r0
r0 = bswap64 r0
r0 = *(u16 *)skb[2]
exit
