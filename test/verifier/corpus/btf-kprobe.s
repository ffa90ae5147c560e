; kprobe programs have no socket casts
; log: exact
; prog: kprobe
; result: reject
; error: program of this type cannot use helper bpf_skc_to_tcp_sock#137
r1 = 0
call bpf_skc_to_tcp_sock
r0 = 0
exit
