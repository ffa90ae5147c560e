; live stack: a callee's checkpoint prunes a path whose caller slot differs but is dead after the callee read it
; log: exact
; processed: 37
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
call pc+1
exit
r0 = *(u64 *)(r1 + 0)
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
