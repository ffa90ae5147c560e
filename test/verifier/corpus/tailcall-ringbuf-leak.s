; a tail call may not leave a reference behind
; maps: prog_array 4 4 4, ringbuf 0 0 4096
; log: exact
; result: reject
; error: Unreleased reference id=2 alloc_insn=5
; error: tail_call would lead to reference leak
r6 = r1
ld_pseudo r1, 5, 1
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto +8
r7 = r0
r1 = r6
ld_pseudo r2, 5, 0
r3 = 0
call bpf_tail_call
r1 = r7
r2 = 0
call bpf_ringbuf_discard
r0 = 0
exit
