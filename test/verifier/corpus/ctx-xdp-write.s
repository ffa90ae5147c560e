; xdp_md is read only
; prog: xdp
; log: exact
; result: reject
; error: invalid bpf_context access off=12 size=4
r2 = 0
*(u32 *)(r1 + 12) = r2
r0 = 0
exit
