; a zero size with a pointer inside the stack
; maps: ringbuf 0 0 4096
; log: exact
; result: accept
r2 = r10
r2 += -512
r3 = 0
r4 = 0
ld_pseudo r1, 5, 0
call bpf_ringbuf_output
r0 = 0
exit
