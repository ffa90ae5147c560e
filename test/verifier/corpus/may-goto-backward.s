; may_goto with a negative offset: once the budget is spent it jumps back for ever, and the verifier sees the same state again at the may_goto: an infinite loop
; log: exact
; result: reject
; error: cur state: R0=0 R1=ctx() R10=fp0
; error: old state: R0=0 R1=ctx() R10=fp0
r0 = 0
l:
r0 = 0
may_goto -2
exit
