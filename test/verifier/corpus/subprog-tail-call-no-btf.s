; a subprogram that tail-calls needs BTF func_info (check_abnormal_return)
; log: exact
; maps: prog_array 4 4 1
; result: reject
; error: tail_call is not allowed in subprogs without BTF
call pc+2
r0 = 0
exit
ld_pseudo r2, 5, 0
r3 = 0
call bpf_tail_call
r0 = 0
exit
