; ctx with a variable offset
; log: exact
; result: reject
; error: variable ctx access var_off=(0x0; 0x7) disallowed
r2 = *(u32 *)(r1 + 0)
r2 &= 7
r1 += r2
r0 = *(u32 *)(r1 + 0)
exit
