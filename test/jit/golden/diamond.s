# An if/else diamond joining at a merge node, and a switch-like chain of
# forward jumps that become nested blocks.
r0 = 0
if r1 > 10 goto big
r0 = 1
goto join
big:
if w1 s< 100 goto join
r0 = 2
join:
if r2 == 0 goto out
r0 += 10
out:
exit
