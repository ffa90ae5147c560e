; returning the socket
; result: accept
r0 = *(u64 *)(r1 + 168)
exit
