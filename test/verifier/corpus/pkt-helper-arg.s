; packet memory as a helper argument
; prog: sched_cls
; log: exact
; result: reject
; error: R1 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto +5
r1 = r2
r2 = 8
r3 = 0
call bpf_csum_diff
r0 = 0
r0 = 1
exit
