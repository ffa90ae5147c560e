; a u64 load of the u32 snd_cwnd runs past the member
; log: exact
; prog: sched_cls
; result: reject
; error: access beyond the end of member snd_cwnd (mend:1448) in struct tcp_sock with off 1444 size 8
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +3
call bpf_skc_to_tcp_sock
if r0 == 0 goto +1
r1 = *(u64 *)(r0 + 1444)
r0 = 0
exit
