; 2..17 with bits 0x31 unknown holds 16 and 17: no constant
; prog: socket_filter
; log: exact
; result: accept
call bpf_get_prandom_u32
r0 &= 0x31
if r0 < 2 goto +3
if r0 > 17 goto +2
r1 = r0
r0 = 0
exit
