; tstamp is hidden from socket filters
; log: exact
; result: reject
; error: invalid bpf_context access off=152 size=8
r0 = *(u64 *)(r1 + 152)
exit
