; prog: cgroup_skb
; the return code is the caller's r7, kept across a subprogram call (callee-saved): the walk from the exit meets the checkpoint at the return site, goes back over the callee's exit with r7 left in frame0's mask while it walks the callee (frame1), and finds r7's constant before the call
; log: exact
; result: accept
r7 = 0
r1 = 1
call f
r0 = r7
exit
f:
r6 = r1
call bpf_get_prandom_u32
r0 = 1
r0 = 2
r0 = 3
r0 = 4
r0 = 5
r0 = 6
exit
