; past struct bpf_sock
; prog: sk_msg
; log: exact
; result: reject
; error: R2 invalid sock access off=80 size=4
r2 = *(u64 *)(r1 + 72)
r0 = *(u32 *)(r2 + 80)
r0 = 0
exit
