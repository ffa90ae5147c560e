; a loop whose state never changes
; known: the kernel prints R0 as precise (P0) in the old state; we do not track precision yet
; log: exact
; result: reject
; error: cur state: R0=0 R1=ctx() R10=fp0
; error: old state: R0=P0 R1=ctx() R10=fp0
r0 = 0
l:
if r0 == 0 goto l
exit
