; a direct load of an array map's value address (BPF_PSEUDO_MAP_IDX_VALUE, offset 8): a map value pointer
; maps: array 4 16 1
; log: exact
; result: accept
ld_pseudo r1, 6, 0x800000000
r0 = *(u64 *)(r1 + 0)
r0 = 0
exit
