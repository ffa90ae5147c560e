; bpf_xdp_load_bytes reads the frame and leaves it where it is: packet pointers stay valid
; prog: xdp
; log: exact
; result: accept
r0 = 0
r6 = r1
r7 = *(u32 *)(r1 + 0)
r8 = *(u32 *)(r1 + 4)
r2 = r7
r2 += 4
if r2 > r8 goto +7
r1 = r6
r2 = 0
r3 = r10
r3 += -8
r4 = 4
call bpf_xdp_load_bytes
r0 = *(u32 *)(r7 + 0)
exit
