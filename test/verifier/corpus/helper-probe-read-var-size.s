; a size bounded by a mask fits the 16-byte buffer
; log: exact
; prog: kprobe
; result: accept
r3 = *(u64 *)(r1 + 112)
r2 = *(u64 *)(r1 + 104)
r2 &= 15
r1 = r10
r1 += -16
call bpf_probe_read_kernel
r0 = 0
exit
