; returning the socket
; log: exact
; result: accept
r0 = *(u64 *)(r1 + 168)
exit
