; a context pointer moved below its start
; log: exact
; result: reject
; error: negative offset ctx ptr R1 off=-8 disallowed
r1 -= 8
r0 = *(u16 *)(r1 + 0)
exit
