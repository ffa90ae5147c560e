/* Maps declared the pre-BTF way: struct bpf_map_def in the "maps" section, as iproute2 and old samples do. */
#include "common.h"

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

char LICENSE[] SEC("license") = "GPL";

struct bpf_map_def SEC("maps") counters = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 256,
};

struct bpf_map_def SEC("maps") flows = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 8,
	.value_size = 16,
	.max_entries = 1000,
	.map_flags = BPF_F_NO_PREALLOC,
};

SEC("socket")
int count_packets(struct __sk_buff *skb)
{
	__u32 key = skb->protocol & 0xff;
	__u64 *value = bpf_map_lookup_elem(&counters, &key);
	if (value)
		__sync_fetch_and_add(value, 1);
	__u64 flow = skb->hash;
	bpf_map_lookup_elem(&flows, &flow);
	return 0;
}
