; the main program runs into the next subprogram
; log: exact
; result: reject
; error: last insn is not an exit or jmp
r0 = 0
call pc+1
r0 = 1
r0 = 2
exit
