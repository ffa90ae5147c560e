; a subprogram with LD_ABS needs BTF func_info (check_abnormal_return)
; log: exact
; result: reject
; error: LD_ABS is not allowed in subprogs without BTF
r6 = r1
call pc+2
r0 = 0
exit
r0 = *(u8 *)skb[0]
r0 = 0
exit
