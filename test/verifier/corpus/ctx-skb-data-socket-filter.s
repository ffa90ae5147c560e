; socket filters have no direct packet access
; log: exact
; result: reject
; error: invalid bpf_context access off=76 size=4
r0 = *(u32 *)(r1 + 76)
exit
