; nested may_goto loops: two loops, each with its own counter slot at run time
; log: exact
; result: accept
r0 = 0
r6 = 0
outer:
may_goto +7
r7 = 0
inner:
may_goto +3
r7 += 1
r0 += r7
goto inner
r6 += 1
goto outer
r0 = 0
exit
