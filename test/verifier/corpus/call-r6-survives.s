; ctx kept in R6 across a call
; log: exact
; result: accept
r6 = r1
call pc+2
r0 = *(u32 *)(r6 + 0)
exit
r0 = 0
exit
