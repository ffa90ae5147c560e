; a zero size at fp+0: the first byte would lie above the stack
; maps: ringbuf 0 0 4096
; log: exact
; result: reject
; error: invalid read from stack R2 off=0 size=0
r2 = r10
r3 = 0
r4 = 0
ld_pseudo r1, 5, 0
call bpf_ringbuf_output
r0 = 0
exit
