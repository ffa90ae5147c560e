; the source of an atomic must be initialised
; log: exact
; result: reject
; error: R3 !read_ok
*(u64 *)(r10 - 8) = 0
r1 = r10
lock *(u64 *)(r1 - 8) += r3
r0 = 0
exit
