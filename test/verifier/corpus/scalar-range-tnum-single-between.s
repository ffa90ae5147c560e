; a range and a tnum that share one value make the register that constant: 1..20 with bits 0x30 unknown is 16
; prog: socket_filter
; log: exact
; result: accept
call bpf_get_prandom_u32
r0 &= 0x30
if r0 == 0 goto +3
if r0 > 20 goto +2
r1 = r0
r0 = 0
exit
