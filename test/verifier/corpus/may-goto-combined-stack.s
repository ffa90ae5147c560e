; two frames of 256 bytes each, the callee looping with may_goto: the combined 512 bytes pass
; log: exact
; result: accept
*(u64 *)(r10 - 256) = 0
call sub
r0 = 0
exit
sub:
*(u64 *)(r10 - 256) = 0
r0 = 0
l:
may_goto +2
r0 += 1
goto l
r0 = 0
exit
