; no u64 field in bpf_sock
; log: exact
; result: reject
; error: R2 invalid sock_common access off=0 size=8
r0 = 0
r2 = *(u64 *)(r1 + 168)
if r2 == 0 goto +1
r0 = *(u64 *)(r2 + 0)
exit
