; may_goto +0: both ways lead to the next instruction
; log: exact
; result: accept
may_goto +0
r0 = 1
may_goto +0
exit
