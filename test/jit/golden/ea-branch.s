# The summed address of an access stays in the ea local across a branch:
# the block after the first compare is entered only from the block that
# summed r3, so its load through r3 reads the ea local; the block at "two"
# is entered from three places, on one of which r3 changed: it wraps r3.
r3 = r1
r3 += r2
r4 = *(u8 *)(r3 +0)
if r4 != 7 goto two
r4 = *(u8 *)(r3 +1)
if r4 == 0 goto two
r3 = r1
two:
r0 = *(u8 *)(r3 +3)
exit
