; xdp has no return range check
; prog: xdp
; log: exact
; result: accept
r0 = 1000
exit
