; a may_goto loop that still walks off its stack array: the index is widened, never bounded
; log: exact
; result: reject
; error: invalid write to stack R2 off=0 size=1
r1 = 0
l:
may_goto +6
r2 = r10
r2 += -64
r2 += r1
*(u8 *)(r2 + 0) = 0
r1 += 1
goto l
r0 = 0
exit
