; R1-R5 are clobbered by a helper call
; log: exact
; result: reject
; error: R1 !read_ok
call bpf_ktime_get_ns
r0 = r1
exit
