; live stack: one callee read through its argument, from two call sites (two call chains, two slots)
; log: exact
; result: accept
r1 = r10
r1 += -8
call pc+4
r1 = r10
r1 += -16
call pc+1
exit
r0 = *(u64 *)(r1 + 0)
exit
