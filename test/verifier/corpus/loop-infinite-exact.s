; a loop whose state repeats exactly
; known: our log does not print precision marks (R1=P0 in the old state)
; log: exact
; result: reject
; error: cur state: R0=0 R1=0 R10=fp0
; error: old state: R0=0 R1=P0 R10=fp0
r0 = 0
r1 = 0
l:
r1 += 0
if r1 < 16 goto l
exit
