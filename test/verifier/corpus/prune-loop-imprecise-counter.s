; a 64-iteration loop counting map hits in r6: nothing depends on r6, so the states of each iteration prune whatever it holds; the loop counter r7 decides the exit and stays precise
; maps: hash 4 8 256
; result: accept
r6 = 0
r7 = 64
loop:
*(u32 *)(r10 - 4) = r7
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call bpf_map_lookup_elem
if r0 == 0 goto miss
r6 += 1
miss:
r7 += -1
if r7 != 0 goto loop
r0 = 0
exit
