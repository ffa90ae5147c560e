; beyond __sk_buff
; log: exact
; result: reject
; error: invalid bpf_context access off=192 size=4
r0 = *(u32 *)(r1 + 192)
exit
