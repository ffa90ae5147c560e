; 8-byte load from cb
; log: exact
; result: accept
r0 = *(u64 *)(r1 + 48)
exit
