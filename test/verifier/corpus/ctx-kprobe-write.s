; pt_regs is read only
; prog: kprobe
; log: exact
; result: reject
; error: invalid bpf_context access off=0 size=8
*(u64 *)(r1 + 0) = r1
r0 = 0
exit
