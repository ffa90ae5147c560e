; egress_ifindex needs the devmap attach type
; prog: xdp
; log: exact
; result: reject
; error: invalid bpf_context access off=20 size=4
r0 = *(u32 *)(r1 + 20)
exit
