; live stack: one store writes -8 on one path and -16 on the other: a second visit drops the must-write mark
; log: exact
; result: accept
call bpf_get_prandom_u32
r1 = -8
if r0 > 42 goto store
r1 = -16
store:
r2 = r10
r2 += r1
*(u64 *)(r2 + 0) = r0
exit
