# A counted loop: one block, a loop header with the budget check, a br_if back.
r0 = 0
r1 = 100
loop:
r0 += r1
w0 *= 3
r1 += -1
if r1 != 0 goto loop
exit
