; a mask of 31 lets the size pass the 16-byte buffer
; prog: kprobe
; log: exact
; result: reject
; error: invalid write to stack R1 off=-16 size=31
r3 = *(u64 *)(r1 + 112)
r2 = *(u64 *)(r1 + 104)
r2 &= 31
r1 = r10
r1 += -16
call bpf_probe_read_kernel
r0 = 0
exit
