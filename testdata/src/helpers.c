/*
 * The packet helpers that change or summarise an skb (and bpf_csum_diff,
 * bpf_check_mtu for XDP too), each driven by the test through ctx_in: the
 * arguments come in __sk_buff's cb[] (and mark), what the program saw after
 * the call goes back in cb[], and the helper's return value is the program's.
 * test/runtime/helpers.test.ts runs them on every engine and on the kernel.
 */
#include "common.h"
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

#define CSUM_BUF 64
/* One 4-byte load of a context field (clang would otherwise merge neighbours into loads the verifier refuses). */
#define READ(field) (*(volatile __u32 *)&(field))

/*
 * bpf_csum_diff over two 64-byte stack buffers loaded from the packet at
 * offsets 14 and 78: cb[0] = from_size, cb[1] = to_size, cb[2] = seed,
 * cb[3] = which pointers are NULL (1: from, 2: to, 3: both; sizes then 0).
 */
SEC("tc")
int csum_diff_tc(struct __sk_buff *skb)
{
	__u8 from[CSUM_BUF], to[CSUM_BUF];
	__u32 from_size = skb->cb[0], to_size = skb->cb[1], seed = skb->cb[2];

	if (bpf_skb_load_bytes(skb, 14, from, CSUM_BUF) || bpf_skb_load_bytes(skb, 14 + CSUM_BUF, to, CSUM_BUF))
		return -1;
	if (from_size > CSUM_BUF || to_size > CSUM_BUF)
		return -2;
	switch (skb->cb[3]) {
	case 1:
		return bpf_csum_diff(NULL, 0, (__be32 *)to, to_size, seed);
	case 2:
		return bpf_csum_diff((__be32 *)from, from_size, NULL, 0, seed);
	case 3:
		return bpf_csum_diff(NULL, 0, NULL, 0, seed);
	default:
		return bpf_csum_diff((__be32 *)from, from_size, (__be32 *)to, to_size, seed);
	}
}

/* bpf_csum_diff on packet pointers in XDP: the IPv4 header against the UDP header, results written over the MACs. */
SEC("xdp")
int csum_diff_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 *out = data;

	if (data + 14 + 20 + 8 > end)
		return XDP_ABORTED;
	out[0] = bpf_csum_diff(data + 14, 20, data + 34, 8, 0);
	out[1] = bpf_csum_diff(data + 14, 20, NULL, 0, 0xffff);
	out[2] = bpf_csum_diff(NULL, 0, data + 34, 7, 0x12345678);
	return XDP_PASS;
}

/* bpf_skb_pull_data(cb[0]); cb[1] = data_end - data and cb[2] = len afterwards. */
SEC("tc")
int pull_data(struct __sk_buff *skb)
{
	long ret = bpf_skb_pull_data(skb, skb->cb[0]);

	skb->cb[1] = skb->data_end - skb->data;
	skb->cb[2] = skb->len;
	return ret;
}

/* bpf_csum_update(cb[0]), then bpf_csum_level with the levels in the bytes of mark (0xff ends), each result in cb[i]. */
SEC("tc")
int csum_level(struct __sk_buff *skb)
{
	__u32 ops = skb->mark;
	long upd = bpf_csum_update(skb, skb->cb[0]);

	for (int i = 0; i < 4; i++) {
		__u32 op = (ops >> (8 * i)) & 0xff;

		if (op == 0xff)
			break;
		skb->cb[i] = bpf_csum_level(skb, op);
	}
	return upd;
}

/*
 * bpf_skb_load_bytes_relative(cb[0], 16-byte buffer, cb[1] + 1 bytes (1 to 16), start cb[2]);
 * the buffer (pre-filled with 0xaa) into cb[0..3].
 */
static __always_inline long load_relative(struct __sk_buff *skb)
{
	__u8 buf[16];
	__u32 off = skb->cb[0], len = (skb->cb[1] & 15) + 1, hdr = skb->cb[2];
	long ret;

	__builtin_memset(buf, 0xaa, sizeof(buf));
	ret = bpf_skb_load_bytes_relative(skb, off, buf, len, hdr);
	__builtin_memcpy((void *)skb->cb, buf, sizeof(buf));
	return ret;
}

SEC("tc")
int load_relative_tc(struct __sk_buff *skb)
{
	return load_relative(skb);
}

SEC("socket")
int load_relative_sk(struct __sk_buff *skb)
{
	return load_relative(skb);
}

/* What every resizing helper reports: len, the pointers' distance, the protocol and the hash. */
static __always_inline void report(struct __sk_buff *skb)
{
	skb->cb[1] = READ(skb->len);
	skb->cb[2] = skb->data_end - skb->data;
	skb->cb[3] = READ(skb->protocol);
	skb->cb[4] = READ(skb->hash);
}

/* bpf_skb_change_tail(cb[0], flags mark). */
SEC("tc")
int change_tail(struct __sk_buff *skb)
{
	long ret = bpf_skb_change_tail(skb, skb->cb[0], skb->mark);

	report(skb);
	return ret;
}

/* bpf_skb_change_head(cb[0], flags mark), then 0x5a over the first new byte when it worked. */
SEC("tc")
int change_head(struct __sk_buff *skb)
{
	long ret = bpf_skb_change_head(skb, skb->cb[0], skb->mark);
	__u8 *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	if (!ret && data + 1 <= end)
		data[0] = 0x5a;
	report(skb);
	return ret;
}

/*
 * bpf_skb_adjust_room(cb[0], mode cb[1], flags cb[2] | cb[3] << 32), after
 * bpf_csum_level(BPF_CSUM_LEVEL_INC) when cb[4] is set; the checksum level
 * (BPF_CSUM_LEVEL_QUERY) afterwards in cb[0].
 */
SEC("tc")
int adjust_room(struct __sk_buff *skb)
{
	__u64 flags = skb->cb[2] | (__u64)skb->cb[3] << 32;
	long ret;

	if (skb->cb[4])
		bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
	ret = bpf_skb_adjust_room(skb, (__s32)skb->cb[0], skb->cb[1], flags);
	report(skb);
	skb->cb[0] = bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY);
	return ret;
}

/*
 * Up to three VLAN operations, cb[0..2]: 0 pops, 0xffffffff does nothing,
 * anything else pushes (proto << 16 | tci). Each result in a byte of cb[0];
 * cb[1..4] = vlan_present, vlan_tci, vlan_proto, protocol; returns len.
 */
SEC("tc")
int vlan(struct __sk_buff *skb)
{
	__u32 ops[3] = { skb->cb[0], skb->cb[1], skb->cb[2] };
	__u32 rets = 0;

	for (int i = 0; i < 3; i++) {
		long ret = 0;

		if (ops[i] == 0)
			ret = bpf_skb_vlan_pop(skb);
		else if (ops[i] != 0xffffffff)
			ret = bpf_skb_vlan_push(skb, bpf_htons(ops[i] >> 16), ops[i] & 0xffff);
		rets |= (__u32)(ret & 0xff) << (8 * i);
	}
	skb->cb[0] = rets;
	skb->cb[1] = READ(skb->vlan_present);
	skb->cb[2] = READ(skb->vlan_tci);
	skb->cb[3] = READ(skb->vlan_proto);
	skb->cb[4] = READ(skb->protocol);
	return skb->len;
}

/* bpf_skb_change_proto(htons(cb[0]), flags mark). */
SEC("tc")
int change_proto(struct __sk_buff *skb)
{
	long ret;

	bpf_set_hash(skb, 0x1234);
	ret = bpf_skb_change_proto(skb, bpf_htons(skb->cb[0]), skb->mark);
	report(skb);
	return ret;
}

/*
 * The hash helpers: set_hash(cb[0]) then the recalculated hash in cb[1];
 * set_hash_invalid, hash in cb[2]; set_hash(0), recalc in cb[3];
 * bpf_skb_store_bytes with BPF_F_INVALIDATE_HASH after set_hash(7), hash in cb[4].
 */
SEC("tc")
int hashes(struct __sk_buff *skb)
{
	__u8 byte = 0;

	bpf_set_hash(skb, skb->cb[0]);
	skb->cb[1] = bpf_get_hash_recalc(skb);
	bpf_set_hash_invalid(skb);
	skb->cb[2] = skb->hash;
	bpf_set_hash(skb, 0);
	skb->cb[3] = bpf_get_hash_recalc(skb);
	bpf_set_hash(skb, 7);
	if (bpf_skb_load_bytes(skb, 0, &byte, 1) || bpf_skb_store_bytes(skb, 0, &byte, 1, BPF_F_INVALIDATE_HASH))
		return -1;
	skb->cb[4] = skb->hash;
	return 0;
}

/* bpf_skb_ecn_set_ce. */
SEC("tc")
int ecn_set_ce(struct __sk_buff *skb)
{
	return bpf_skb_ecn_set_ce(skb);
}

/* bpf_check_mtu(ifindex cb[0], mtu_len cb[1], len_diff cb[2], flags cb[3]); mtu_len afterwards in cb[1]. */
SEC("tc")
int check_mtu_tc(struct __sk_buff *skb)
{
	__u32 mtu = skb->cb[1];
	long ret = bpf_check_mtu(skb, skb->cb[0], &mtu, (__s32)skb->cb[2], skb->cb[3]);

	skb->cb[1] = mtu;
	return ret;
}

/* The same in XDP, the arguments in the packet after the MACs (u32 ifindex, mtu_len, len_diff, flags); mtu_len written back. */
SEC("xdp")
int check_mtu_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 *args = data + 12;
	__u32 mtu;
	long ret;

	if ((void *)(args + 4) > end)
		return -1;
	mtu = args[1];
	ret = bpf_check_mtu(ctx, args[0], &mtu, (__s32)args[2], args[3]);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	args = data + 12;
	if ((void *)(args + 4) > end)
		return -1;
	args[1] = mtu;
	return ret;
}

/* The classid and realm helpers of a test run: cb[0..2]. */
SEC("tc")
int classid(struct __sk_buff *skb)
{
	skb->cb[0] = bpf_get_cgroup_classid(skb);
	skb->cb[1] = bpf_skb_cgroup_classid(skb);
	skb->cb[2] = bpf_get_route_realm(skb);
	return 0;
}

/* bpf_skb_ecn_set_ce where data is the network header (cgroup_skb): 1 when the packet is now CE. */
SEC("cgroup_skb/egress")
int ecn_cgroup(struct __sk_buff *skb)
{
	return bpf_skb_ecn_set_ce(skb) & 1;
}

/*
 * Up to four resizing calls in a row, cb[0..3] each (op << 24 | arg), op 0
 * ending the list: 1 change_head(arg), 2 change_tail(arg), 3/4 adjust_room
 * at NET/MAC by (s16)arg, 5 adjust_room MAC by arg with ENCAP_L3_IPV4 |
 * ENCAP_L4_UDP, 6 vlan_push(802.1Q, arg), 7 vlan_pop, 8 change_proto(arg),
 * 9 pull_data(arg). The results, a byte each, in cb[0]; then len, the
 * pointers' distance, protocol and (vlan_present << 16 | vlan_tci).
 */
SEC("tc")
int sequence(struct __sk_buff *skb)
{
	__u32 ops[4] = { skb->cb[0], skb->cb[1], skb->cb[2], skb->cb[3] };
	__u32 rets = 0;

	for (int i = 0; i < 4; i++) {
		__u32 op = ops[i] >> 24, arg = ops[i] & 0xffffff;
		long ret;

		switch (op) {
		case 1: ret = bpf_skb_change_head(skb, arg, 0); break;
		case 2: ret = bpf_skb_change_tail(skb, arg, 0); break;
		case 3: ret = bpf_skb_adjust_room(skb, (__s16)arg, BPF_ADJ_ROOM_NET, 0); break;
		case 4: ret = bpf_skb_adjust_room(skb, (__s16)arg, BPF_ADJ_ROOM_MAC, 0); break;
		case 5: ret = bpf_skb_adjust_room(skb, arg, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L4_UDP); break;
		case 6: ret = bpf_skb_vlan_push(skb, bpf_htons(0x8100), arg); break;
		case 7: ret = bpf_skb_vlan_pop(skb); break;
		case 8: ret = bpf_skb_change_proto(skb, bpf_htons(arg), 0); break;
		case 9: ret = bpf_skb_pull_data(skb, arg); break;
		default: ret = 0x7f; break;
		}
		if (ret == 0x7f)
			break;
		rets |= (__u32)(ret & 0xff) << (8 * i);
	}
	skb->cb[0] = rets;
	skb->cb[1] = READ(skb->len);
	skb->cb[2] = skb->data_end - skb->data;
	skb->cb[3] = READ(skb->protocol);
	skb->cb[4] = READ(skb->vlan_present) << 16 | READ(skb->vlan_tci);
	return 0;
}

/* bpf_skb_change_type(cb[0]); pkt_type before and after in cb[1], cb[2]. */
SEC("tc")
int change_type(struct __sk_buff *skb)
{
	__u32 before = READ(skb->pkt_type);
	long ret = bpf_skb_change_type(skb, skb->cb[0]);

	skb->cb[1] = before;
	skb->cb[2] = READ(skb->pkt_type);
	return ret;
}

/* bpf_get_cgroup_classid_curr, helper 17 outside tc: the current task's net_cls class. */
SEC("xdp")
int classid_xdp(struct xdp_md *ctx)
{
	__u32 (*classid_curr)(void) = (void *)BPF_FUNC_get_cgroup_classid;

	return classid_curr();
}

/*
 * The tunnel metadata helpers. mark: bit 0 sets the key (flags cb[0], size
 * cb[1]; bit 3 gives it a flow label, bit 4 a tunnel_ext, bit 5 IPv6
 * addresses), bit 1 sets 2 << (cb[4] & 3) bytes of options (4, 8 or 16; 3: 6),
 * bit 2 reads them back (16 bytes, or 4 when bit 6 is set). The key is read
 * with flags cb[2] and size cb[3] into bytes 0..43 of the packet (0xaa
 * where it writes nothing), the options into bytes 44..59 (0xbb likewise).
 * The results, a byte each (set key, get key, set options, get options), in cb[0].
 */
SEC("tc")
int tunnel(struct __sk_buff *skb)
{
	struct bpf_tunnel_key key = {}, out;
	__u8 opt[16], got[16];
	__u32 mark = skb->mark, set_flags = skb->cb[0], set_size = skb->cb[1], get_flags = skb->cb[2], get_size = skb->cb[3];
	__u32 opt_len = skb->cb[4] & 3;
	long set = 0x7f, get, set_opt = 0x7f, get_opt = 0x7f;

	for (int i = 0; i < 16; i++)
		opt[i] = i + 1;
	__builtin_memset(&out, 0xaa, sizeof(out));
	__builtin_memset(got, 0xbb, sizeof(got));
	key.tunnel_id = 0x11223344;
	key.tunnel_tos = 0x10;
	key.tunnel_ttl = 64;
	if (mark & 32) {
		key.remote_ipv6[0] = 0x000080fe;
		key.remote_ipv6[3] = 0x01000000;
		key.local_ipv6[0] = 0x000080fe;
		key.local_ipv6[3] = 0x02000000;
	} else {
		key.remote_ipv4 = 0x0a000001;
		key.local_ipv4 = 0x0a000002;
	}
	if (mark & 8)
		key.tunnel_label = 0xfff12345;
	if (mark & 16)
		key.tunnel_ext = 1;
	if (mark & 1) {
		switch (set_size) {
		case 28: set = bpf_skb_set_tunnel_key(skb, &key, 28, set_flags); break;
		case 24: set = bpf_skb_set_tunnel_key(skb, &key, 24, set_flags); break;
		case 22: set = bpf_skb_set_tunnel_key(skb, &key, 22, set_flags); break;
		case 8: set = bpf_skb_set_tunnel_key(skb, &key, 8, set_flags); break;
		case 20: set = bpf_skb_set_tunnel_key(skb, &key, 20, set_flags); break;
		default: set = bpf_skb_set_tunnel_key(skb, &key, sizeof(key), set_flags); break;
		}
	}
	if (mark & 2) {
		switch (opt_len) {
		case 0: set_opt = bpf_skb_set_tunnel_opt(skb, opt, 4); break;
		case 1: set_opt = bpf_skb_set_tunnel_opt(skb, opt, 8); break;
		case 2: set_opt = bpf_skb_set_tunnel_opt(skb, opt, 16); break;
		default: set_opt = bpf_skb_set_tunnel_opt(skb, opt, 6); break;
		}
	}
	switch (get_size) {
	case 28: get = bpf_skb_get_tunnel_key(skb, &out, 28, get_flags); break;
	case 24: get = bpf_skb_get_tunnel_key(skb, &out, 24, get_flags); break;
	case 22: get = bpf_skb_get_tunnel_key(skb, &out, 22, get_flags); break;
	case 8: get = bpf_skb_get_tunnel_key(skb, &out, 8, get_flags); break;
	case 20: get = bpf_skb_get_tunnel_key(skb, &out, 20, get_flags); break;
	default: get = bpf_skb_get_tunnel_key(skb, &out, sizeof(out), get_flags); break;
	}
	if (mark & 4)
		get_opt = mark & 64 ? bpf_skb_get_tunnel_opt(skb, got, 4) : bpf_skb_get_tunnel_opt(skb, got, 16);
	if (bpf_skb_store_bytes(skb, 0, &out, sizeof(out), 0) || bpf_skb_store_bytes(skb, sizeof(out), got, sizeof(got), 0))
		return -1;
	skb->cb[0] = (set & 0xff) | (get & 0xff) << 8 | (set_opt & 0xff) << 16 | (__u32)(get_opt & 0xff) << 24;
	return 0;
}

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

/*
 * LD_ABS and LD_IND after a call that moves or resizes the packet read it
 * where the call left it: cb[0] picks the call (0 bpf_skb_change_head by
 * cb[1], 1 bpf_skb_change_tail to cb[1], 2 bpf_skb_adjust_room by cb[1] at
 * the network header), cb[3] gets its result and cb[4] the byte at 0
 * (LD_ABS); the program returns the word at cb[2] (LD_IND), or ends with 0
 * when either read is outside the packet.
 */
SEC("tc")
int ld_abs_after_resize(struct __sk_buff *skb)
{
	__u32 off = skb->cb[2];
	long err;

	if (skb->cb[0] == 0)
		err = bpf_skb_change_head(skb, skb->cb[1], 0);
	else if (skb->cb[0] == 1)
		err = bpf_skb_change_tail(skb, skb->cb[1], 0);
	else
		err = bpf_skb_adjust_room(skb, (int)skb->cb[1], BPF_ADJ_ROOM_NET, 0);
	skb->cb[3] = err;
	skb->cb[4] = load_byte(skb, 0);
	return load_word(skb, off);
}
