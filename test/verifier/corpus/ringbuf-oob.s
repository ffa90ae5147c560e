; write past the reserved 8 bytes
; maps: ringbuf 0 0 4096
; log: exact
; result: reject
; error: invalid access to memory, mem_size=8 off=8 size=8
; error: R0 min value is outside of the allowed memory range
ld_pseudo r1, 5, 0
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto +3
*(u64 *)(r0 + 8) = r0
r1 = r0
r2 = 0
call bpf_ringbuf_submit
r0 = 0
exit
