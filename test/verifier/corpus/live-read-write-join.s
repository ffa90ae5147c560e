; live stack: two paths read and write different slots; only the slot both write stays written at the branch
; log: exact
; result: accept
call bpf_get_prandom_u32
if r0 > 42 goto other
r0 = *(u64 *)(r10 - 8)
*(u64 *)(r10 - 32) = r0
*(u64 *)(r10 - 40) = r0
exit
other:
r0 = *(u64 *)(r10 - 16)
*(u64 *)(r10 - 32) = r0
exit
