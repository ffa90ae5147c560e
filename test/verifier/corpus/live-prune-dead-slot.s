; live stack: paths that differ only in a slot overwritten before any read meet at a checkpoint and prune
; log: exact
; processed: 27
; result: accept
call bpf_get_prandom_u32
r6 = r0
r7 = 0
if r6 == 1 goto a
r7 += 1
r7 += 1
if r6 == 2 goto a
r1 = 5
*(u64 *)(r10 - 8) = r1
goto b
a:
*(u64 *)(r10 - 8) = r10
b:
r7 += 1
r7 += 1
r7 += 1
if r6 == 3 goto c
r7 += 1
c:
r0 = 0
*(u64 *)(r10 - 8) = r0
r0 = *(u64 *)(r10 - 8)
exit
