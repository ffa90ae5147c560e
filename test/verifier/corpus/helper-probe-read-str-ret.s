; probe_read_kernel_str returns at most its size argument, or an error: a bounded result
; prog: kprobe
; log: exact
; result: accept
r1 = r10
r1 += -16
r2 = 16
r3 = 0
call bpf_probe_read_kernel_str
exit
