/* Socket lookups as a tc classifier and an sk_lookup program write them: the runtime's socket table (ebpf run --socket). */
#include "common.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

/*
 * Look up the TCP socket the packet is for (IPv4, no IP options): 0 when
 * there is none; else its state * 1000000 + its local port, + 100000 when
 * its congestion window is not a fresh socket's.
 */
SEC("tc")
int tc_find_socket(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct tcphdr *tcp = (void *)ip + sizeof(*ip);
	if ((void *)(tcp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_TCP)
		return -1;
	struct bpf_sock_tuple tuple = {};
	tuple.ipv4.saddr = ip->saddr;
	tuple.ipv4.daddr = ip->daddr;
	tuple.ipv4.sport = tcp->source;
	tuple.ipv4.dport = tcp->dest;
	struct bpf_sock *sk = bpf_sk_lookup_tcp(skb, &tuple, sizeof(tuple.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 0;
	int ret = sk->state * 1000000 + sk->src_port;
	struct bpf_tcp_sock *tp = bpf_tcp_sock(sk);
	if (tp && tp->snd_cwnd != 10)
		ret += 100000;
	bpf_sk_release(sk);
	return ret;
}

/* The socket the test run gives the skb: its family and whether its source is the packet's. */
SEC("tc")
int tc_skb_sk(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	if (!sk)
		return -1;
	return sk->family * 10 + (sk->state == 7);
}

/* Select nothing, and pass: the kernel's default lookup goes on. */
SEC("sk_lookup")
int sk_lookup_none(struct bpf_sk_lookup *ctx)
{
	if (ctx->local_port != 8080)
		return SK_PASS;
	return bpf_sk_assign(ctx, NULL, 0) == 0 ? SK_PASS : SK_DROP;
}

/* The socket an sk_lookup program steers connections to (userspace stores it). */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} redir_map SEC(".maps");

/* Steer lookups for port 8080 to the socket in redir_map; drop them when there is none or it does not fit. */
SEC("sk_lookup")
int sk_lookup_redirect(struct bpf_sk_lookup *ctx)
{
	__u32 key = 0;
	if (ctx->local_port != 8080)
		return SK_PASS;
	struct bpf_sock *sk = bpf_map_lookup_elem(&redir_map, &key);
	if (!sk)
		return SK_DROP;
	long err = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return err ? SK_DROP : SK_PASS;
}
