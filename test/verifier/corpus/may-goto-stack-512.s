; 512 bytes of stack and a may_goto: the hidden counter slot the kernel adds is not counted against the limit
; log: exact
; result: accept
*(u64 *)(r10 - 512) = 0
r0 = 0
l:
may_goto +2
r0 += 1
goto l
r0 = *(u64 *)(r10 - 512)
exit
