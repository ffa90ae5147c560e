; a GPL-only helper from an MIT program
; prog: kprobe
; license: MIT
; log: exact
; result: reject
; error: cannot call GPL-restricted function from non-GPL compatible program
r1 = r10
r1 += -8
r2 = 8
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
