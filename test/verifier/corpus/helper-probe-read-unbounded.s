; unknown size
; prog: kprobe
; log: exact
; result: reject
; error: R2 min value is negative, either use unsigned or 'var &= const'
r1 = r10
r1 += -8
r2 = *(u64 *)(r1 + 0)
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
