; a hash map given to ringbuf_reserve
; maps: hash 4 8 16
; log: exact
; result: reject
; error: cannot pass map_type 1 into func bpf_ringbuf_reserve#131
ld_pseudo r1, 5, 0
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
r0 = 0
exit
