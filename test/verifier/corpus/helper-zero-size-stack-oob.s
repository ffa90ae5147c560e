; a zero size does not excuse a pointer below the stack
; maps: ringbuf 0 0 4096
; log: exact
; result: reject
; error: invalid read from stack R2 off=-516 size=0
r2 = r10
r2 += -516
r3 = 0
r4 = 0
ld_pseudo r1, 5, 0
call bpf_ringbuf_output
r0 = 0
exit
