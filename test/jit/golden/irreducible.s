# Two entries into one cycle (2 -> 5 -> 2): not reducible, so the function
# becomes a dispatch loop with a br_table over its blocks.
r0 = 0
if r1 == 0 goto b
a:
r0 += 1
if r0 > 20 goto out
b:
r0 += 3
if r0 < 20 goto a
out:
exit
