; the reservation leaks on one path
; maps: ringbuf 0 0 4096
; log: exact
; result: reject
; error: Unreleased reference id=2 alloc_insn=4
; error: BPF_EXIT instruction in main prog would lead to reference leak
ld_pseudo r1, 5, 0
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto +6
r6 = r0
call bpf_get_prandom_u32
if r0 == 0 goto +3
r1 = r6
r2 = 0
call bpf_ringbuf_submit
r0 = 0
exit
