// Which calls invalidate packet pointers (bpf_helper_changes_pkt_data and
// the subprograms that change packet data): each program checks a packet
// pointer, makes one call, then writes through the pointer. The kernel
// accepts the write where the call cannot move the packet.
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} jmp_table SEC(".maps");

static __noinline int static_tail(struct __sk_buff *sk)
{
	bpf_tail_call_static(sk, &jmp_table, 0);
	return sk->len;
}

__noinline int global_tail(struct __sk_buff *sk)
{
	bpf_tail_call_static(sk, &jmp_table, 0);
	return 0;
}

__noinline int global_plain(struct __sk_buff *sk)
{
	return sk->len;
}

__noinline int global_hash(struct __sk_buff *sk)
{
	return bpf_get_hash_recalc(sk);
}

__noinline int global_pull(struct __sk_buff *sk)
{
	return bpf_skb_pull_data(sk, 0);
}

/* A global function that changes the packet only through the one it calls. */
__noinline int global_outer(struct __sk_buff *sk)
{
	return global_pull(sk) + 1;
}

#define WRITE_AFTER(call)						\
	int *p = (void *)(long)sk->data;				\
	if ((void *)(p + 1) > (void *)(long)sk->data_end)		\
		return 2;						\
	call;								\
	*p = 42;							\
	return 0;

SEC("tc") int via_static_tail(struct __sk_buff *sk) { WRITE_AFTER(static_tail(sk)) }
SEC("tc") int via_global_tail(struct __sk_buff *sk) { WRITE_AFTER(global_tail(sk)) }
SEC("tc") int via_global_plain(struct __sk_buff *sk) { WRITE_AFTER(global_plain(sk)) }
SEC("tc") int via_global_hash(struct __sk_buff *sk) { WRITE_AFTER(global_hash(sk)) }
SEC("tc") int via_global_pull(struct __sk_buff *sk) { WRITE_AFTER(global_pull(sk)) }
SEC("tc") int via_global_outer(struct __sk_buff *sk) { WRITE_AFTER(global_outer(sk)) }
SEC("tc") int direct_tail(struct __sk_buff *sk) { WRITE_AFTER(bpf_tail_call_static(sk, &jmp_table, 0)) }
SEC("tc") int after_set_hash(struct __sk_buff *sk) { WRITE_AFTER(bpf_set_hash(sk, 7)) }
SEC("tc") int after_load_bytes(struct __sk_buff *sk) { char b[4]; WRITE_AFTER(bpf_skb_load_bytes(sk, 0, b, 4)) }
SEC("tc") int after_store_bytes(struct __sk_buff *sk) { int v = 1; WRITE_AFTER(bpf_skb_store_bytes(sk, 0, &v, 4, 0)) }

char _license[] SEC("license") = "GPL";
