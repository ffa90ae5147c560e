; xdp_md.ingress_ifindex
; prog: xdp
; log: exact
; result: accept
r0 = *(u32 *)(r1 + 12)
exit
