; a callee returning its own frame pointer
; log: exact
; result: reject
; error: cannot return stack pointer to the caller
call pc+3
r0 = *(u64 *)(r0 + 0)
r0 = 0
exit
r0 = r10
exit
