; a reservation that is never submitted
; maps: ringbuf 0 0 4096
; log: exact
; result: reject
; error: Unreleased reference id=2 alloc_insn=4
; error: BPF_EXIT instruction in main prog would lead to reference leak
ld_pseudo r1, 5, 0
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto +1
r0 = 0
r0 = 0
exit
