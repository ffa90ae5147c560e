; a bpf-to-bpf call
; log: exact
; result: accept
r1 = 1
call pc+2
r0 += 1
exit
r0 = r1
exit
