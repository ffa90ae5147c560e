; r1-r5 are clobbered by a call
; log: exact
; result: reject
; error: R1 !read_ok
call bpf_get_prandom_u32
r0 = r1
exit
