; a scalar as the key pointer
; maps: hash 4 8 16
; log: exact
; result: reject
; error: R2 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_
r2 = 0
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
r0 = 0
exit
