; ringbuf_output from the stack
; maps: ringbuf 0 0 4096
; result: accept
r1 = 0
*(u64 *)(r10 - 8) = r1
ld_pseudo r1, 5, 0
r2 = r10
r2 += -8
r3 = 8
r4 = 0
call bpf_ringbuf_output
r0 = 0
exit
