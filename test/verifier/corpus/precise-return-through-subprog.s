; prog: cgroup_skb
; the return code must be in [0, 1]: R0 comes from a subprogram, which computed it from its R1, the caller's constant: the walk goes back over the exit into the callee (frame1) and over the call into the caller (frame0)
; log: exact
; result: accept
r6 = r1
r1 = 1
call ret
r0 &= 1
exit
ret:
r0 = r1
r2 = 7
exit
