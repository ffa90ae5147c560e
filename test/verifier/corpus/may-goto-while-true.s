; while (1) { ... } made finite by may_goto: the verifier follows the exit first, then one more iteration, and stops when an iteration repeats the ranges of an earlier one
; log: exact
; result: accept
r0 = 0
l:
may_goto +2
r0 += 1
goto l
r0 = 0
exit
