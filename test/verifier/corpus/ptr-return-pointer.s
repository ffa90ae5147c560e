; returning a pointer when privileged
; log: exact
; result: accept
r0 = r10
exit
