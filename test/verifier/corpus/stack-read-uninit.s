; privileged: an uninitialised stack read gives an unknown value
; log: exact
; result: accept
r0 = *(u64 *)(r10 - 8)
exit
