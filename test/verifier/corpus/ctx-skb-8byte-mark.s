; 8-byte load of a 4-byte field
; log: exact
; result: reject
; error: invalid bpf_context access off=8 size=8
r0 = *(u64 *)(r1 + 8)
exit
