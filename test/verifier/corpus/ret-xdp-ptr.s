; returning a pointer from an xdp program
; prog: xdp
; result: accept
r0 = r10
exit
