; a tail call through a prog array, then the fall-through path
; maps: prog_array 4 4 4
; log: exact
; result: accept
ld_pseudo r2, 5, 0
r3 = 1
call bpf_tail_call
r0 = 0
exit
