; the last instruction must be exit or a jump
; log: exact
; result: reject
; error: last insn is not an exit or jmp
r0 = 0
