; pt_regs->di
; prog: kprobe
; license: GPL
; log: exact
; result: accept
r0 = *(u64 *)(r1 + 112)
exit
