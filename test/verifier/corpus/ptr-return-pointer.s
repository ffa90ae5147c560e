; returning a pointer when privileged
; result: accept
r0 = r10
exit
