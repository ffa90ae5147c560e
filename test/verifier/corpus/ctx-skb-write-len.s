; len is read only
; log: exact
; result: reject
; error: invalid bpf_context access off=0 size=4
r2 = 1
*(u32 *)(r1 + 0) = r2
r0 = 0
exit
