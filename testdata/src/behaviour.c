/* Programs whose behaviour the runtime tests assert, on every engine and on the kernel: a packet parser, packet
 * helpers, checksums, counters in each map type, global data, subprograms, map-in-map, skb fields, the context of
 * raw tracepoints and syscall programs. */
#include "common.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

/* LD_ABS: a byte of the packet from the network header (socket filters). */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} proto_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} array_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} percpu_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} percpu_hash_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} lru_seen SEC(".maps");

struct lpm_v4 {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 8);
	__type(key, struct lpm_v4);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, __u32);
} lengths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 4);
	__type(value, __u32);
} marks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 16);
	__type(value, __u32);
} seen_daddr SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} inner_counter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [1] = &inner_counter },
};

__u64 packets = 0;               /* .data */
__u32 last_len;                  /* .bss */
const volatile __u32 min_len = 20; /* .rodata, set before load */

static __attribute__((noinline)) __u32 ip_proto(void *data, void *data_end, __u32 *daddr)
{
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return 256;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return 257;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return 258;
	*daddr = ip->daddr;
	return ip->protocol;
}

static __always_inline void count(void *map, __u32 key)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(map, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(map, &key, &one, BPF_NOEXIST);
}

/* Parse Ethernet/IPv4, count per protocol in every map type, keep global data; drop short packets. */
SEC("xdp")
int xdp_parse(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 len = data_end - data;
	__u32 daddr = 0;
	__u32 proto = ip_proto(data, data_end, &daddr);

	packets++;
	last_len = len;
	count(&proto_count, proto);
	count(&percpu_hash_count, proto & 7);
	__u32 slot = proto & 3;
	__u64 *a = bpf_map_lookup_elem(&array_count, &slot);
	if (a)
		*a += len;
	__u32 zero = 0;
	__u64 *p = bpf_map_lookup_elem(&percpu_count, &zero);
	if (p)
		*p += 1;
	__u32 seen = len;
	bpf_map_update_elem(&lru_seen, &daddr, &seen, BPF_ANY);
	bpf_map_push_elem(&lengths, &len, BPF_EXIST);
	bpf_map_push_elem(&seen_daddr, &daddr, 0);
	struct lpm_v4 key = { .prefixlen = 32, .addr = daddr };
	__u32 *route = bpf_map_lookup_elem(&routes, &key);
	__u32 one = 1;
	void *in = bpf_map_lookup_elem(&outer, &one);
	if (in) {
		__u64 *c = bpf_map_lookup_elem(in, &zero);
		if (c)
			*c += 100;
	}
	if (len < min_len)
		return XDP_DROP;
	if (route)
		return *route;
	return proto == IPPROTO_UDP ? XDP_TX : XDP_PASS;
}

/* Pop 14 bytes off the front (the Ethernet header), grow the tail by 4 zeroed bytes, add 8 bytes of metadata. */
SEC("xdp")
int xdp_adjust(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_head(ctx, 14))
		return XDP_ABORTED;
	if (bpf_xdp_adjust_tail(ctx, 4))
		return XDP_ABORTED;
	if (bpf_xdp_adjust_meta(ctx, -8))
		return XDP_ABORTED;
	void *data = (void *)(long)ctx->data;
	void *meta = (void *)(long)ctx->data_meta;
	if (meta + 8 > data)
		return XDP_ABORTED;
	*(__u64 *)meta = 0x1122334455667788ULL;
	/* Out of range: -EINVAL, nothing moves. */
	if (bpf_xdp_adjust_head(ctx, 4000) != -22)
		return XDP_ABORTED;
	return XDP_PASS;
}

/* Copy bytes 0..3 of the packet over bytes 4..7 with the xdp byte helpers; reads out of range fail. */
SEC("xdp")
int xdp_bytes(struct xdp_md *ctx)
{
	__u8 buf[4];
	if (bpf_xdp_load_bytes(ctx, 0, buf, sizeof(buf)))
		return XDP_ABORTED;
	if (bpf_xdp_store_bytes(ctx, 4, buf, sizeof(buf)))
		return XDP_ABORTED;
	/* An offset above 0xffff is -EFAULT; one past the packet is -EINVAL. */
	if (bpf_xdp_load_bytes(ctx, 0x10000, buf, sizeof(buf)) != -14)
		return XDP_DROP;
	return bpf_xdp_load_bytes(ctx, 0xfff0, buf, sizeof(buf)) == -22 ? XDP_TX : XDP_DROP;
}

/* The xdp_md of the run: ingress device and metadata length. */
SEC("xdp")
int xdp_ctx(struct xdp_md *ctx)
{
	return ctx->ingress_ifindex * 1000 + (ctx->data - ctx->data_meta) * 10 + ctx->rx_queue_index;
}

/* Rewrite the IPv4 destination and fix the IP and UDP checksums; set mark, priority and cb from the packet. */
SEC("tc")
int tc_rewrite(struct __sk_buff *skb)
{
	__u32 old_daddr, new_daddr = bpf_htonl(0x0a000002);
	int ip_off = ETH_HLEN;
	if (bpf_skb_load_bytes(skb, ip_off + offsetof(struct iphdr, daddr), &old_daddr, 4))
		return TC_ACT_SHOT;
	if (bpf_l3_csum_replace(skb, ip_off + offsetof(struct iphdr, check), old_daddr, new_daddr, 4))
		return TC_ACT_SHOT;
	if (bpf_l4_csum_replace(skb, ip_off + sizeof(struct iphdr) + offsetof(struct udphdr, check), old_daddr, new_daddr, BPF_F_PSEUDO_HDR | 4))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, ip_off + offsetof(struct iphdr, daddr), &new_daddr, 4, 0))
		return TC_ACT_SHOT;
	__u8 tail[4];
	if (bpf_skb_load_bytes(skb, skb->len - 2, tail, 4) != -14)
		return TC_ACT_SHOT;
	skb->mark = skb->mark + 1;
	skb->priority = 7;
	skb->cb[0] = skb->len;
	skb->cb[4] = skb->protocol;
	__u32 mark = skb->mark;
	bpf_map_push_elem(&marks, &mark, 0);
	return TC_ACT_OK;
}

/* The __sk_buff a tc test run builds. */
SEC("tc")
int tc_fields(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	if (data + 14 > data_end)
		return 1;
	return skb->len == (__u32)(data_end - data) && skb->ifindex == 1 && skb->pkt_type == 0 &&
	       skb->protocol == bpf_htons(ETH_P_IP) && skb->wire_len == skb->len && skb->data_meta == skb->data ? 100 + skb->ingress_ifindex : 2;
}

/* Redirect with good and bad flags. */
SEC("tc")
int tc_redirect(struct __sk_buff *skb)
{
	if (skb->mark == 1)
		return bpf_redirect(1, 0xff);
	return bpf_redirect(1, 0);
}

/* Keep the first 20 bytes (the IP header) of UDP packets, none of the others. */
SEC("socket")
int socket_keep(struct __sk_buff *skb)
{
	__u8 proto = load_byte(skb, offsetof(struct iphdr, protocol));
	if (proto != IPPROTO_UDP)
		return 0;
	return skb->len >= 20 ? 20 : skb->len;
}

/* Count packets by length; cgroup_skb verdict 1 lets the packet through. */
SEC("cgroup_skb/ingress")
int cgroup_count(struct __sk_buff *skb)
{
	__u32 key = 3;
	__u64 *v = bpf_map_lookup_elem(&array_count, &key);
	if (v)
		*v += skb->len;
	return skb->len > 1000 ? 0 : 1;
}

/* Sum the raw tracepoint's first three arguments. */
SEC("raw_tracepoint/sys_enter")
int raw_tp_sum(struct bpf_raw_tracepoint_args *ctx)
{
	return ctx->args[0] + ctx->args[1] * 2 + ctx->args[2] * 3;
}

struct syscall_args {
	__u32 in;
	__u32 out;
};

/* A syscall program writes its result into the caller's memory. */
SEC("syscall")
int syscall_square(struct syscall_args *args)
{
	args->out = args->in * args->in;
	return args->in + 1;
}

/* x86-64 pt_regs: di (offset 112) and si (104), the first two arguments. The kernel cannot test-run kprobes; the runtime can. */
SEC("kprobe/do_unlinkat")
int kprobe_args(void *regs)
{
	__u64 di = *(__u64 *)(regs + 112), si = *(__u64 *)(regs + 104);
	return di + si * 10;
}

/* A raw tracepoint record: the first field after the 8 bytes of common fields. */
SEC("tracepoint/syscalls/sys_enter_openat")
int tracepoint_field(void *ctx)
{
	return *(__u32 *)(ctx + 8) * 2;
}

/* bpf_perf_event_data: sample_period after the 168 bytes of pt_regs. */
SEC("perf_event")
int perf_period(void *ctx)
{
	return *(__u64 *)(ctx + 168) + 1;
}

/* The skb helpers' error returns, one bit each, so the kernel and the runtime can be compared at a glance. */
SEC("tc")
int tc_errors(struct __sk_buff *skb)
{
	__u8 buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	__u32 len = skb->len;
	int bits = 0;
	bits |= (bpf_skb_store_bytes(skb, len - 4, buf, 8, 0) == -14) << 0;	/* past the end */
	bits |= (bpf_skb_store_bytes(skb, 0, buf, 4, 0x80) == -22) << 1;	/* unknown flag */
	bits |= (bpf_skb_load_bytes(skb, len, buf, 1) == -14) << 2;	/* and buf[0] is zeroed */
	bits |= (bpf_l3_csum_replace(skb, 25, 0, 0, 2) == -14) << 3;		/* odd offset */
	bits |= (bpf_l3_csum_replace(skb, 24, 1, 0, 0) == -22) << 4;		/* from with size 0 */
	bits |= (bpf_l3_csum_replace(skb, 24, 0, 0, 3) == -22) << 5;		/* bad size */
	bits |= (bpf_l4_csum_replace(skb, 0x10000, 0, 0, 2) == -14) << 6;
	bits |= (bpf_l4_csum_replace(skb, 40, 0, 0, 0x100 | 2) == -22) << 7;	/* unknown flag */
	bits |= (bpf_skb_store_bytes(skb, 6, buf, 6, BPF_F_INVALIDATE_HASH) == 0) << 8;
	/* A zero UDP checksum stays zero with BPF_F_MARK_MANGLED_0. */
	__u16 zero = 0;
	bpf_skb_store_bytes(skb, 40, &zero, 2, 0);
	bits |= (bpf_l4_csum_replace(skb, 40, 1, 2, BPF_F_MARK_MANGLED_0 | 2) == 0) << 9;
	return bits;
}

/* The xdp adjust helpers' error returns. */
SEC("xdp")
int xdp_errors(struct xdp_md *ctx)
{
	int bits = 0;
	bits |= (bpf_xdp_adjust_meta(ctx, -6) == -13) << 0;	/* not a multiple of 4: -EACCES */
	bits |= (bpf_xdp_adjust_meta(ctx, 4) == -22) << 1;	/* past data */
	bits |= (bpf_xdp_adjust_meta(ctx, -256) == -22) << 2;	/* into the xdp_frame */
	bits |= (bpf_xdp_adjust_tail(ctx, -4000) == -22) << 3;	/* below ETH_HLEN */
	bits |= (bpf_xdp_adjust_tail(ctx, 4000) == -22) << 4;	/* past the tailroom */
	bits |= (bpf_xdp_adjust_head(ctx, -300) == -22) << 5;	/* past the headroom */
	bits |= (bpf_xdp_adjust_head(ctx, -100) == 0) << 6;	/* into the headroom */
	bits |= (bpf_xdp_adjust_tail(ctx, -2) == 0) << 7;
	bits |= (bpf_xdp_get_buff_len(ctx) == 142 + 100 - 2) << 8;
	return bits;
}
