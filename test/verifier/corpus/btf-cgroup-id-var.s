; a variable offset on a BTF-id argument (check_func_arg_reg_off)
; log: exact
; prog: cgroup_skb
; result: reject
; error: variable ptr_ access var_off=(0x0; 0x8) disallowed
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto +7
call bpf_skc_to_tcp_sock
if r0 == 0 goto +5
r2 = *(u32 *)(r0 + 1444)
r2 &= 8
r1 = r0
r1 += r2
call bpf_sk_cgroup_id
r0 = 1
exit
