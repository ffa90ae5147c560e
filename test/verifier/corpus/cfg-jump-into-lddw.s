; jump into the second slot of lddw
; log: exact
; result: reject
; error: jump into the middle of ldimm64 insn 2
r0 = 0
if r1 == 0 goto +1
r2 = 0x100000000 ll
exit
