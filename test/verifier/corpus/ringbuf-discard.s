; reserve then discard
; maps: ringbuf 0 0 4096
; log: exact
; result: accept
ld_pseudo r1, 5, 0
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto +3
r1 = r0
r2 = 0
call bpf_ringbuf_discard
r0 = 0
exit
