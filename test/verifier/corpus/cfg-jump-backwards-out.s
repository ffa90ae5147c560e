; jump before the start
; log: exact
; result: reject
; error: jump out of range from insn 1 to -3
r0 = 0
goto -5
exit
