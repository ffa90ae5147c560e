; the common fields are hidden
; prog: tracepoint
; log: exact
; result: reject
; error: invalid bpf_context access off=0 size=8
r0 = *(u64 *)(r1 + 0)
exit
