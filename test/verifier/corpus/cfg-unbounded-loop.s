; the loop counter is unknown
; slow: yes
; result: reject
; error: BPF program is too large. Processed 1000001 insn
r0 = 0
r1 = *(u32 *)(r1 + 0)
l:
r1 += 1
if r1 != 0 goto l
exit
