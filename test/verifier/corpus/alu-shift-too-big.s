; shift by the width
; log: exact
; result: reject
; error: invalid shift 64
r0 = 1
r0 <<= 64
exit
