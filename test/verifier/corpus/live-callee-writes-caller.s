; live stack: a callee's store through its argument writes the caller's slot, marked at the call
; log: exact
; result: accept
r1 = r10
r1 += -8
call pc+1
exit
*(u64 *)(r1 + 0) = 7
r0 = 0
exit
