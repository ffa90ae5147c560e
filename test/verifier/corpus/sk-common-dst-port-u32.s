; dst_port as a whole u32
; log: exact
; result: accept
r0 = 0
r2 = *(u64 *)(r1 + 168)
if r2 == 0 goto +1
r0 = *(u32 *)(r2 + 48)
exit
