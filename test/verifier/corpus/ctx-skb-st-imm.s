; BPF_ST into ctx
; log: exact
; result: accept
*(u32 *)(r1 + 48) = 1
r0 = 0
exit
