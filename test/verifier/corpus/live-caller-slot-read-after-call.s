; live stack: the caller reads its slot after the call returns, so a callee checkpoint must not prune a path that differs there
; log: exact
; processed: 41
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
call pc+3
r1 = *(u64 *)(r10 - 8)
r0 = 0
exit
r2 = 1
r2 += 1
if r2 == 7 goto l1
r2 += 1
l1:
r2 += 1
if r2 == 9 goto l2
r2 += 1
l2:
r2 += 1
r2 += 1
if r2 == 11 goto l3
r2 += 1
l3:
r0 = 0
exit
