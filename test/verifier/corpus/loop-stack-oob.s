; one byte too many
; log: exact
; result: reject
; error: invalid write to stack R2 off=0 size=1
r1 = 0
l:
r2 = r10
r2 += -64
r2 += r1
*(u8 *)(r2 + 0) = 0
r1 += 1
if r1 < 65 goto l
r0 = 0
exit
