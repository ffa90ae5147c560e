; the same loop with an explicit bound: the precise index keeps each iteration apart, and the bound ends it
; log: exact
; result: accept
r1 = 0
l:
may_goto +7
if r1 >= 64 goto +6
r2 = r10
r2 += -64
r2 += r1
*(u8 *)(r2 + 0) = 0
r1 += 1
goto l
r0 = 0
exit
