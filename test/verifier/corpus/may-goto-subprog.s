; a may_goto loop inside a static subprogram
; log: exact
; result: accept
r1 = 5
call sub
r0 = 0
exit
sub:
r0 = 0
l:
may_goto +2
r0 += r1
goto l
exit
