; submit through a moved pointer
; maps: ringbuf 0 0 4096
; log: exact
; result: reject
; error: R1 must have zero offset when passed to release func or trusted arg to kfunc
ld_pseudo r1, 5, 0
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto +4
r0 += 4
r1 = r0
r2 = 0
call bpf_ringbuf_submit
r0 = 0
exit
