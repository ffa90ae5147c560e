; LD_ABS may end the program: no reference may be held across it
; log: exact
; maps: ringbuf 0 0 4096
; log: exact
; result: reject
; error: Unreleased reference id=2 alloc_insn=5
; error: BPF_LD_[ABS|IND] would lead to reference leak
r6 = r1
ld_pseudo r1, 5, 0
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto +5
r7 = r0
r0 = *(u8 *)skb[23]
r1 = r7
r2 = 0
call bpf_ringbuf_discard
r0 = 0
exit
