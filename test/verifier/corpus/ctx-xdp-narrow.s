; xdp fields take 4-byte loads only
; prog: xdp
; log: exact
; result: reject
; error: invalid bpf_context access off=12 size=2
r0 = *(u16 *)(r1 + 12)
exit
