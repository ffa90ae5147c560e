; the same while (1) loop without may_goto: the state repeats exactly, an infinite loop
; log: exact
; result: reject
; error: cur state: R0=0 R1=ctx() R10=fp0
; error: old state: R0=0 R1=ctx() R10=fp0
r0 = 0
l:
r0 = 0
goto l
