; atomics on a socket
; log: exact
; result: reject
; error: BPF_ATOMIC stores into R2 sock_common is not allowed
r0 = 0
r2 = *(u64 *)(r1 + 168)
if r2 == 0 goto +1
lock *(u32 *)(r2 + 4) += r0
exit
