# A bpf-to-bpf call (r0-r9 in, r0-r5 out, the depth and the budget passed
# along), an intrinsic helper (bpf_get_prandom_u32: no BigInt), a generic
# one (bpf_trace_printk) and callx.
r1 = 5
call sub
r6 = r0
call 7
r6 += r0
r2 = 8
callx r2
r0 += r6
exit
sub:
r0 = r1
r0 <<= 1
r1 = r10
r2 = 4
call 6
exit
