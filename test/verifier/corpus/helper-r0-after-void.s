; R0 after a void helper is not readable
; maps: ringbuf 0 0 4096
; log: exact
; result: reject
; error: R0 !read_ok
ld_pseudo r1, 5, 0
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto +4
r1 = r0
r2 = 0
call bpf_ringbuf_discard
exit
r0 = 0
exit
