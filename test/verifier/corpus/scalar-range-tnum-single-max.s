; a range and a tnum that share one value make the register that constant (__update_reg64_bounds, tnum_step): 41..48 with bits 0x30 unknown is 48
; prog: socket_filter
; log: exact
; result: accept
call bpf_get_prandom_u32
r0 &= 0x30
if r0 > 40 goto +2
r0 = 0
exit
r1 = r0
r0 = 0
exit
