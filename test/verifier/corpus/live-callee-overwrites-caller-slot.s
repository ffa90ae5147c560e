; live stack: a callee always overwrites the caller's slot before returning: dead in the caller before the call
; log: exact
; processed: 29
; result: accept
call bpf_get_prandom_u32
r6 = r0
if r6 == 1 goto spill_fp
r1 = 5
*(u64 *)(r10 - 8) = r1
goto call
spill_fp:
*(u64 *)(r10 - 8) = r10
call:
r1 = r10
r1 += -8
r2 = 1
r2 += 1
if r2 == 7 goto l1
r2 += 1
l1:
r2 += 1
if r2 == 9 goto l2
r2 += 1
l2:
call pc+3
r1 = *(u64 *)(r10 - 8)
r0 = 0
exit
r2 = 0
*(u64 *)(r1 + 0) = r2
r0 = 0
exit
