; pt_regs->di
; prog: kprobe
; license: GPL
; result: accept
r0 = *(u64 *)(r1 + 112)
exit
