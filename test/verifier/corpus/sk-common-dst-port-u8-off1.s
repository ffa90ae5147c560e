; dst_port second byte
; log: exact
; result: accept
r0 = 0
r2 = *(u64 *)(r1 + 168)
if r2 == 0 goto +1
r0 = *(u8 *)(r2 + 49)
exit
