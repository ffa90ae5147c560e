; the size must be a constant
; maps: ringbuf 0 0 4096
; log: exact
; result: reject
; error: R2 is not a known constant'
r6 = *(u32 *)(r1 + 0)
ld_pseudo r1, 5, 0
r2 = r6
r3 = 0
call bpf_ringbuf_reserve
r0 = 0
exit
