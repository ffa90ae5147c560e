/* bpf-to-bpf calls: static and global functions in .text, calls between .text functions, several programs sharing them, callbacks (function pointers) for bpf_loop. */
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

__u64 total;

static __attribute__((noinline)) int square(int x)
{
	return x * x;
}

static __attribute__((noinline)) int sum_squares(int a, int b)
{
	return square(a) + square(b);
}

__attribute__((noinline)) int global_add(int a, int b)
{
	return a + b + (int)total;
}

__attribute__((noinline)) int global_twice(int a)
{
	return global_add(a, a);
}

struct loop_ctx {
	__u64 sum;
};

static int loop_step(__u32 index, void *data)
{
	struct loop_ctx *c = data;
	c->sum += index;
	return 0;
}

static int other_step(__u32 index, void *data)
{
	struct loop_ctx *c = data;
	c->sum += sum_squares(index, 1);
	return index > 5;
}

SEC("xdp")
int calls_static(struct xdp_md *ctx)
{
	return sum_squares(ctx->ingress_ifindex, 2) & 3;
}

SEC("xdp")
int calls_global(struct xdp_md *ctx)
{
	return global_twice(ctx->rx_queue_index) + square(3);
}

SEC("tc")
int uses_loop(struct __sk_buff *skb)
{
	struct loop_ctx c = { 0 };
	bpf_loop(10, loop_step, &c, 0);
	bpf_loop(10, other_step, &c, 0);
	total += c.sum;
	return 0;
}

SEC("socket")
int no_calls(struct __sk_buff *skb)
{
	return 0;
}
