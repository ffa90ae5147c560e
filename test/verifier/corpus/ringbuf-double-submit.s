; the second submit has no reference left
; maps: ringbuf 0 0 4096
; log: exact
; result: reject
; error: R1 type=scalar expected=ringbuf_mem
ld_pseudo r1, 5, 0
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto +6
r6 = r0
r1 = r0
r2 = 0
call bpf_ringbuf_submit
r1 = r6
r2 = 0
call bpf_ringbuf_submit
r0 = 0
exit
