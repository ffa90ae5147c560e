; the loop counter reaches the top of the stack: the 8-byte write at fp-8+8 is out
; log: exact
; result: reject
; error: invalid write to stack R2 off=0 size=8
r1 = 0
l:
r2 = r10
r2 += -16
r2 += r1
*(u64 *)(r2 + 0) = 0
r1 += 8
if r1 <= 16 goto l
r0 = 0
exit
