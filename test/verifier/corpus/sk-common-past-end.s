; past struct bpf_sock
; log: exact
; result: reject
; error: R2 invalid sock_common access off=80 size=4
r0 = 0
r2 = *(u64 *)(r1 + 168)
if r2 == 0 goto +1
r0 = *(u32 *)(r2 + 80)
exit
