; nested compares
; log: exact
; result: reject
; error: unreachable insn 7
r0 = *(u32 *)(r1 + 0)
if r0 > 10 goto +4
if r0 < 5 goto +2
r0 = 1
exit
r0 = 2
exit
r0 = 3
exit
