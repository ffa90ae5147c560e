/* BTF-defined maps of several types, map-in-map and a prog array with initial values, pinning, spin locks. */
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

struct value_with_lock {
	struct bpf_spin_lock lock;
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct value_with_lock);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} locked_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pinned_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 24);
} percpu_sized SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 128);
	__type(key, __u64);
	__type(value, __u32);
	__uint(numa_node, 0);
	__uint(map_flags, BPF_F_NUMA_NODE);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(__u32));
} perf_events SEC(".maps");

struct lpm_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__type(key, struct lpm_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 8);
	__type(value, __u32);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 100);
	__type(value, __u64);
	__uint(map_extra, 3);
} bloom SEC(".maps");

struct inner_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_map);
} outer_array SEC(".maps") = {
	.values = { [0] = &inner_a, [2] = &inner_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_HASH);
		__uint(max_entries, 32);
		__type(key, __u32);
		__type(value, __u64);
	});
} outer_hash SEC(".maps");

int tail_a(struct __sk_buff *skb);
int tail_b(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 3);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} jump_table SEC(".maps") = {
	.values = { [0] = (void *)&tail_a, [1] = (void *)&tail_b },
};

SEC("tc") int tail_a(struct __sk_buff *skb) { return 1; }
SEC("tc") int tail_b(struct __sk_buff *skb) { return 2; }

SEC("tc")
int entry(struct __sk_buff *skb)
{
	__u32 key = skb->mark;
	struct value_with_lock *v = bpf_map_lookup_elem(&locked_hash, &key);
	if (v) {
		bpf_spin_lock(&v->lock);
		v->packets++;
		v->bytes += skb->len;
		bpf_spin_unlock(&v->lock);
	}
	__u64 *count = bpf_map_lookup_elem(&pinned_array, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	void *inner = bpf_map_lookup_elem(&outer_array, &key);
	if (inner)
		bpf_map_lookup_elem(inner, &key);
	__u32 *slot = bpf_ringbuf_reserve(&events, sizeof(__u32), 0);
	if (slot) {
		*slot = key;
		bpf_ringbuf_submit(slot, 0);
	}
	bpf_map_push_elem(&queue, &key, 0);
	bpf_tail_call(skb, &jump_table, key & 1);
	return 0;
}
