/**
 * The tunnel metadata helpers of tc (net/core/filter.c): bpf_skb_set_tunnel_key
 * and bpf_skb_set_tunnel_opt attach what a collect_md tunnel device would
 * encapsulate with (the skb's metadata dst, here SkbState.tunnel);
 * bpf_skb_get_tunnel_key and bpf_skb_get_tunnel_opt read it back as the
 * receive side sees it, so the addresses come back swapped (the key's
 * source is the remote end) — as the kernel does when a program sets and
 * then reads in the same run. A test run's skb arrives with no metadata.
 */
import type { HelperContext } from './context.js';
import { helperAccess } from './context.js';
import { helperErr, intResult } from './errno.js';
import { frameOf, u32, type PacketRuns, type SkbState } from './packet.js';
import { RuntimeError } from './errors.js';
import type { HelperDef } from './table.js';

export const BPF_FUNC_skb_get_tunnel_key = 20;
export const BPF_FUNC_skb_set_tunnel_key = 21;
export const BPF_FUNC_skb_get_tunnel_opt = 29;
export const BPF_FUNC_skb_set_tunnel_opt = 30;

const BPF_F_TUNINFO_IPV6 = 1n << 0n;
const BPF_F_ZERO_CSUM_TX = 1n << 1n;
const BPF_F_DONT_FRAGMENT = 1n << 2n;
const BPF_F_SEQ_NUMBER = 1n << 3n;
const BPF_F_NO_TUNNEL_KEY = 1n << 4n;
const BPF_F_TUNINFO_FLAGS = 1n << 4n;

/** struct bpf_tunnel_key: its size and the offsets of its fields (the older, shorter layouts end at some of them). */
const KEY = { size: 44, id: 0, remote: 4, tos: 20, ttl: 21, ext: 22, label: 24, local: 28 } as const;
/** The sizes a program built against an older bpf_tunnel_key passes. */
const COMPAT_SIZES: readonly number[] = [KEY.local, KEY.label, KEY.ext, KEY.remote + 4];

/** IP_TUNNEL_*_BIT. */
const TUNNEL_CSUM = 1 << 0;
const TUNNEL_KEY = 1 << 2;
const TUNNEL_SEQ = 1 << 3;
const TUNNEL_DONT_FRAGMENT = 1 << 8;
const TUNNEL_NOCACHE = 1 << 13;
/** ip_tunnel_set_options_present: the GENEVE, VXLAN, ERSPAN and GTP option bits. */
const TUNNEL_OPTIONS_PRESENT = (1 << 11) | (1 << 12) | (1 << 14) | (1 << 15);
const IPV6_FLOWLABEL_MASK = 0xfffff;
/** IP_TUNNEL_OPTS_MAX: options_len is a u8. */
const IP_TUNNEL_OPTS_MAX = 255;

function skbOf(runs: PacketRuns, ctxArg: bigint, helper: string): SkbState {
  const f = frameOf(runs, ctxArg, 'skb', helper);
  if (!f.skb) throw new RuntimeError(`${helper}: the skb of this run has no buffer state (it was not made by a test run)`);
  return f.skb;
}

export function tunnelHelpers(runs: PacketRuns): HelperDef[] {
  /** long bpf_skb_set_tunnel_key(skb, const struct bpf_tunnel_key *key, u32 size, u64 flags). */
  const setKey = (ctx: HelperContext, skb: bigint, from: bigint, sizeArg: bigint, flags: bigint): bigint => {
    const s = skbOf(runs, skb, 'bpf_skb_set_tunnel_key');
    const size = u32(sizeArg);
    const at = helperAccess(ctx, from, size, false);
    if (flags & ~(BPF_F_TUNINFO_IPV6 | BPF_F_ZERO_CSUM_TX | BPF_F_DONT_FRAGMENT | BPF_F_SEQ_NUMBER | BPF_F_NO_TUNNEL_KEY)) return helperErr('EINVAL');
    if (size !== KEY.size && !COMPAT_SIZES.includes(size)) return helperErr('EINVAL');
    // An older layout is read as the current one with the missing fields zero.
    const key = new Uint8Array(KEY.size);
    key.set(ctx.space.bytes.subarray(at, at + size));
    const k = new DataView(key.buffer);
    const ipv6 = (flags & BPF_F_TUNINFO_IPV6) !== 0n;
    if ((!ipv6 && k.getUint32(KEY.label, true)) || k.getUint16(KEY.ext, true)) return helperErr('EINVAL');
    const addr = ipv6 ? 16 : 4;
    let bits = TUNNEL_NOCACHE;
    if (flags & BPF_F_DONT_FRAGMENT) bits |= TUNNEL_DONT_FRAGMENT;
    if (!(flags & BPF_F_ZERO_CSUM_TX)) bits |= TUNNEL_CSUM;
    if (flags & BPF_F_SEQ_NUMBER) bits |= TUNNEL_SEQ;
    if (!(flags & BPF_F_NO_TUNNEL_KEY)) bits |= TUNNEL_KEY;
    s.tunnel = {
      ipv6, id: k.getUint32(KEY.id, true), tos: key[KEY.tos], ttl: key[KEY.ttl], label: ipv6 ? k.getUint32(KEY.label, true) & IPV6_FLOWLABEL_MASK : 0,
      flags: bits, dst: key.slice(KEY.remote, KEY.remote + addr), src: key.slice(KEY.local, KEY.local + addr), options: new Uint8Array(),
    };
    return 0n;
  };

  /** long bpf_skb_get_tunnel_key(skb, struct bpf_tunnel_key *key, u32 size, u64 flags): zeroed on error. */
  const getKey = (ctx: HelperContext, skb: bigint, to: bigint, sizeArg: bigint, flags: bigint): bigint => {
    const s = skbOf(runs, skb, 'bpf_skb_get_tunnel_key');
    const size = u32(sizeArg);
    const at = helperAccess(ctx, to, size, true);
    const bytes = ctx.space.bytes;
    const fail = (errno: 'EINVAL' | 'EPROTO'): bigint => {
      bytes.fill(0, at, at + size);
      return helperErr(errno);
    };
    const info = s.tunnel;
    if (!info || flags & ~(BPF_F_TUNINFO_IPV6 | BPF_F_TUNINFO_FLAGS)) return fail('EINVAL');
    if (info.ipv6 !== ((flags & BPF_F_TUNINFO_IPV6) !== 0n)) return fail('EPROTO');
    if (size !== KEY.size && (!COMPAT_SIZES.includes(size) || (size === KEY.remote + 4 && info.ipv6))) return fail('EINVAL');
    const key = new Uint8Array(KEY.size);
    const k = new DataView(key.buffer);
    k.setUint32(KEY.id, info.id, true);
    key[KEY.tos] = info.tos;
    key[KEY.ttl] = info.ttl;
    // tunnel_flags is big-endian; without BPF_F_TUNINFO_FLAGS the field is tunnel_ext, 0.
    if (flags & BPF_F_TUNINFO_FLAGS) k.setUint16(KEY.ext, info.flags & 0xffff, false);
    key.set(info.src, KEY.remote);
    key.set(info.dst, KEY.local);
    k.setUint32(KEY.label, info.label, true);
    bytes.set(key.subarray(0, size), at);
    return 0n;
  };

  /** long bpf_skb_set_tunnel_opt(skb, const u8 *opt, u32 size): only after bpf_skb_set_tunnel_key, whole words. */
  const setOpt = (ctx: HelperContext, skb: bigint, from: bigint, sizeArg: bigint): bigint => {
    const s = skbOf(runs, skb, 'bpf_skb_set_tunnel_opt');
    const size = u32(sizeArg);
    const at = helperAccess(ctx, from, size, false);
    if (!s.tunnel || size & 3) return helperErr('EINVAL');
    if (size > IP_TUNNEL_OPTS_MAX) return helperErr('ENOMEM');
    s.tunnel.options = ctx.space.bytes.slice(at, at + size);
    s.tunnel.flags = (s.tunnel.flags & ~TUNNEL_OPTIONS_PRESENT) | (size ? TUNNEL_OPTIONS_PRESENT : 0);
    return 0n;
  };

  /** long bpf_skb_get_tunnel_opt(skb, u8 *opt, u32 size): the options' length; the rest of the buffer zeroed. */
  const getOpt = (ctx: HelperContext, skb: bigint, to: bigint, sizeArg: bigint): bigint => {
    const s = skbOf(runs, skb, 'bpf_skb_get_tunnel_opt');
    const size = u32(sizeArg);
    const at = helperAccess(ctx, to, size, true);
    const bytes = ctx.space.bytes;
    const info = s.tunnel;
    let err: 'ENOENT' | 'ENOMEM' | undefined;
    if (!info || !(info.flags & TUNNEL_OPTIONS_PRESENT)) err = 'ENOENT';
    else if (size < info.options.length) err = 'ENOMEM';
    bytes.fill(0, at, at + size);
    if (err) return helperErr(err);
    bytes.set(info!.options, at);
    return intResult(info!.options.length);
  };

  return [
    { id: BPF_FUNC_skb_set_tunnel_key, name: 'bpf_skb_set_tunnel_key', fn: setKey },
    { id: BPF_FUNC_skb_get_tunnel_key, name: 'bpf_skb_get_tunnel_key', fn: getKey },
    { id: BPF_FUNC_skb_set_tunnel_opt, name: 'bpf_skb_set_tunnel_opt', fn: setOpt },
    { id: BPF_FUNC_skb_get_tunnel_opt, name: 'bpf_skb_get_tunnel_opt', fn: getOpt },
  ];
}
