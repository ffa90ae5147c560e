# Small leaf callees compiled into their caller (unverified): f, one
# block, twice (its count joins the caller's pending one; it writes r7,
# so r7 gets a local of its own set from the caller's, and reads the
# caller's r6 in place); g, two blocks, on the next frame (its own r10),
# its exit a br out of the block around its code, leaving its count
# pending for main's exit to subtract.
r6 = 3
r7 = 4
r1 = 5
call f
r1 = r0
call f
r6 = r0
call g
r0 += r6
r0 += r7
exit
f:
r7 = r1
r7 *= r6
r0 = r7
exit
g:
r0 = 0
if r1 == 0 goto out
*(u64 *)(r10 - 8) = r1
r0 = *(u64 *)(r10 - 8)
out:
exit
