; NULL is no socket for the casts (the argument is not PTR_MAYBE_NULL)
; log: exact
; prog: socket_filter
; result: reject
; error: R1 type=scalar expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_
r1 = 0
call bpf_skc_to_tcp_sock
r0 = 0
exit
