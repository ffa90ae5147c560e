; submit of a maybe-null reservation
; maps: ringbuf 0 0 4096
; log: exact
; result: reject
; error: R1 type=ringbuf_mem_or_null expected=ringbuf_mem
ld_pseudo r1, 5, 0
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
r1 = r0
r2 = 0
call bpf_ringbuf_submit
r0 = 0
exit
