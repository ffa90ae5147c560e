; with CAP_PERFMON every type gets probe_read_kernel (bpf_base_func_proto)
; log: exact
; result: accept
r1 = r10
r1 += -8
r2 = 8
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
