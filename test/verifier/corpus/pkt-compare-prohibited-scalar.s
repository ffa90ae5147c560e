; comparing a packet pointer with a scalar is allowed when privileged
; prog: xdp
; log: exact
; result: accept
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = 10
if r2 > r4 goto +0
r0 = 0
exit
