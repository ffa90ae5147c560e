/*
 * The helper- and map-heavy programs of the JIT benchmark (bench/jit.ts):
 * each an XDP program run by BPF_PROG_TEST_RUN on a 64-byte packet (the
 * benchmark's input: Ethernet, IPv4, TCP, then payload), on the interpreter,
 * the JIT and the kernel, with the same maps on each side. Every result is
 * deterministic from the packet and the maps' contents, so that the three
 * engines can be compared run for run.
 */
#include "common.h"
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

#define PKT_LEN 64

/* ---- hash-map counter: 64 lookups per run, an update for each key not yet there ---- */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

SEC("xdp")
int hash_counter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	if (data + PKT_LEN > data_end)
		return 0;
	__u32 seed = *(__u32 *)(data + 26);
	__u32 hits = 0;
	for (__u32 i = 0; i < 64; i++) {
		__u32 key = ((i * 2654435761u) ^ seed) & 255;
		__u64 *v = bpf_map_lookup_elem(&counters, &key);
		if (v) {
			__sync_fetch_and_add(v, 1);
			hits++;
		} else {
			__u64 one = 1;
			bpf_map_update_elem(&counters, &key, &one, BPF_NOEXIST);
		}
	}
	return hits;
}

/* ---- array-map histogram: 256 lookups per run, one bucket per payload byte's low 6 bits ---- */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} histogram SEC(".maps");

SEC("xdp")
int array_histogram(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	if (data + PKT_LEN > data_end)
		return 0;
	__u32 sum = 0;
	for (__u32 pass = 0; pass < 4; pass++) {
		for (__u32 i = 0; i < PKT_LEN; i++) {
			__u32 key = (data[i] + pass) & 63;
			__u64 *v = bpf_map_lookup_elem(&histogram, &key);
			if (v) {
				*v += 1;
				sum += key;
			}
		}
	}
	return sum;
}

/* ---- LPM route lookup: 32 destinations per run against the routes userspace installed ---- */

struct route_key {
	__u32 prefixlen;
	__u32 addr;	/* network byte order */
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__type(key, struct route_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} routes SEC(".maps");

SEC("xdp")
int lpm_route(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	if (data + PKT_LEN > data_end)
		return 0;
	__u32 dst = bpf_ntohl(*(__u32 *)(data + 30));
	__u32 sum = 0;
	for (__u32 i = 0; i < 32; i++) {
		struct route_key key = { .prefixlen = 32, .addr = bpf_htonl(dst + i * 0x01010101u) };
		__u32 *hop = bpf_map_lookup_elem(&routes, &key);
		sum = sum * 31 + (hop ? *hop : 0);
	}
	return sum;
}

/* ---- bpf_loop: 512 callback calls mixing the packet's words ---- */

struct loop_ctx {
	__u32 words[4];
	__u32 acc;
};

static long loop_step(__u32 index, struct loop_ctx *lc)
{
	__u32 w = lc->words[index & 3];
	lc->acc = (lc->acc ^ w) * 16777619u + index;
	return 0;
}

SEC("xdp")
int loop_mix(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	if (data + PKT_LEN > data_end)
		return 0;
	struct loop_ctx lc = { .acc = 2166136261u };
	for (int i = 0; i < 4; i++)
		lc.words[i] = *(__u32 *)(data + 48 + i * 4);
	bpf_loop(512, loop_step, &lc, 0);
	return lc.acc;
}

/* ---- tail-call chain: eight stages, each folding one packet word into a shared accumulator ---- */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} chain_acc SEC(".maps");

int chain_1(struct xdp_md *ctx);
int chain_2(struct xdp_md *ctx);
int chain_3(struct xdp_md *ctx);
int chain_4(struct xdp_md *ctx);
int chain_5(struct xdp_md *ctx);
int chain_6(struct xdp_md *ctx);
int chain_7(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 8);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} chain SEC(".maps") = {
	.values = {
		[1] = (void *)&chain_1, [2] = (void *)&chain_2, [3] = (void *)&chain_3, [4] = (void *)&chain_4,
		[5] = (void *)&chain_5, [6] = (void *)&chain_6, [7] = (void *)&chain_7,
	},
};

/* Fold packet word `stage` into the accumulator, then jump to the next stage; the last returns the accumulator. */
static __always_inline int chain_stage(struct xdp_md *ctx, __u32 stage)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	if (data + PKT_LEN > data_end)
		return 0;
	__u32 zero = 0;
	__u64 *acc = bpf_map_lookup_elem(&chain_acc, &zero);
	if (!acc)
		return 0;
	__u64 a = stage == 0 ? 0 : *acc;
	*acc = a * 1099511628211ull + *(__u32 *)(data + stage * 4);
	if (stage < 7)
		bpf_tail_call(ctx, &chain, stage + 1);
	return *acc & 0x7fffffff;
}

SEC("xdp") int chain_0(struct xdp_md *ctx) { return chain_stage(ctx, 0); }
SEC("xdp") int chain_1(struct xdp_md *ctx) { return chain_stage(ctx, 1); }
SEC("xdp") int chain_2(struct xdp_md *ctx) { return chain_stage(ctx, 2); }
SEC("xdp") int chain_3(struct xdp_md *ctx) { return chain_stage(ctx, 3); }
SEC("xdp") int chain_4(struct xdp_md *ctx) { return chain_stage(ctx, 4); }
SEC("xdp") int chain_5(struct xdp_md *ctx) { return chain_stage(ctx, 5); }
SEC("xdp") int chain_6(struct xdp_md *ctx) { return chain_stage(ctx, 6); }
SEC("xdp") int chain_7(struct xdp_md *ctx) { return chain_stage(ctx, 7); }

/* ---- ring buffer output: eight 16-byte records per run, reserved and submitted ---- */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} records SEC(".maps");

struct record {
	__u64 seq;
	__u32 word;
	__u32 len;
};

SEC("xdp")
int ringbuf_output(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	if (data + PKT_LEN > data_end)
		return 0;
	__u32 sent = 0;
	for (__u32 i = 0; i < 8; i++) {
		struct record *r = bpf_ringbuf_reserve(&records, sizeof(*r), 0);
		if (!r)
			continue;
		r->seq = i;
		r->word = *(__u32 *)(data + i * 4);
		r->len = data_end - data;
		bpf_ringbuf_submit(r, 0);
		sent++;
	}
	return sent;
}
