; bpf_tail_call takes a prog array only
; maps: array 4 4 4
; log: exact
; result: reject
; error: expected prog array map for tail call
ld_pseudo r2, 5, 0
r3 = 0
call bpf_tail_call
r0 = 0
exit
