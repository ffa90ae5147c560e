; xdp: a packet pointer advanced by each iteration is not widened as scalars are: the iterations never converge
; prog: xdp
; log: exact
; result: reject
; error: The sequence of 8193 jumps is too complex.
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r0 = 0
l:
may_goto +6
r4 = r2
r4 += 1
if r4 > r3 goto +3
r5 = *(u8 *)(r2 + 0)
r2 = r4
goto l
r0 = 2
exit
