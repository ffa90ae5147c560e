; size zero is allowed
; prog: kprobe
; log: exact
; result: accept
r1 = r10
r1 += -8
r2 = 0
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
