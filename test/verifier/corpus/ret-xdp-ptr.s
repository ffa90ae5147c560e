; returning a pointer from an xdp program
; prog: xdp
; log: exact
; result: accept
r0 = r10
exit
