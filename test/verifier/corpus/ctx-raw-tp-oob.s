; past args[11]
; prog: raw_tracepoint
; log: exact
; result: reject
; error: invalid bpf_context access off=96 size=8
r0 = *(u64 *)(r1 + 96)
exit
