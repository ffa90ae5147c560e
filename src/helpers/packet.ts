/**
 * The packet helpers of XDP and skb programs (net/core/filter.c), acting on
 * the packet of the run in progress. A runtime keeps one `PacketRuns`; its
 * test run sets `current` to the frame it built (buffer bounds, data
 * pointers, the context's address) and the helpers find the packet through
 * it, check the context argument against it, and write the moved pointers
 * back into the context struct the program reads (xdp_md, __sk_buff).
 *
 * Argument contracts and return values are the kernel's, with one honest
 * difference: bpf_get_hash_recalc hashes the flow with a per-runtime random
 * key, as the kernel does with its boot-time key, so its values differ from
 * the kernel's (as two boots of a kernel do).
 */
import { jhash } from '../maps/jhash.js';
import type { Region } from '../memory/index.js';
import { TC_CTX, XDP_CTX, type ContextSpec } from '../platform/index.js';
import type { HelperContext } from './context.js';
import { helperAccess } from './context.js';
import { helperErr, intResult, negErrno } from './errno.js';
import { RuntimeError } from './errors.js';
import type { HelperDef } from './table.js';

/** enum bpf_func_id of the packet helpers. */
export const BPF_FUNC_skb_store_bytes = 9;
export const BPF_FUNC_l3_csum_replace = 10;
export const BPF_FUNC_l4_csum_replace = 11;
export const BPF_FUNC_redirect = 23;
export const BPF_FUNC_skb_load_bytes = 26;
export const BPF_FUNC_get_hash_recalc = 34;
export const BPF_FUNC_xdp_adjust_head = 44;
export const BPF_FUNC_redirect_map = 51;
export const BPF_FUNC_xdp_adjust_meta = 54;
export const BPF_FUNC_xdp_adjust_tail = 65;
export const BPF_FUNC_xdp_get_buff_len = 188;
export const BPF_FUNC_xdp_load_bytes = 189;
export const BPF_FUNC_xdp_store_bytes = 190;

/** Verdicts the helpers return. */
export const XDP_ABORTED = 0;
export const XDP_REDIRECT = 4;
export const TC_ACT_SHOT = 2;
export const TC_ACT_REDIRECT = 7;

export const ETH_HLEN = 14;
export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
/** The fixed headers: an IPv4 header without options, an IPv6 header without extensions. */
export const IPV4_HLEN = 20;
export const IPV6_HLEN = 40;
/** The device of a test run: lo. */
export const LOOPBACK_IFINDEX = 1;
/** sizeof(struct xdp_frame) on 64-bit: the start of the headroom the kernel keeps for itself. */
export const XDP_FRAME_SIZE = 40;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)): the tailroom of an XDP frame. */
export const XDP_TAILROOM = 320;
/** The largest XDP metadata (xdp_metalen_invalid: skb_shared_info's u8 meta_len). */
export const XDP_META_MAX = 255;
/** The room of one fragment of a multi-buffer frame (the test run's rxq frag_size). */
export const XDP_FRAG_SIZE = 4096;

const BPF_F_INGRESS = 1;
const BPF_F_RECOMPUTE_CSUM = 1;
const BPF_F_INVALIDATE_HASH = 2;
const BPF_F_HDR_FIELD_MASK = 0xf;
const BPF_F_PSEUDO_HDR = 0x10;
const BPF_F_MARK_MANGLED_0 = 0x20;
const BPF_F_MARK_ENFORCE = 0x40;
const BPF_F_BROADCAST = 1 << 3;
const BPF_F_EXCLUDE_INGRESS = 1 << 4;
const CSUM_MANGLED_0 = 0xffff;
const INT_MAX = 0x7fffffff;

const offsetOf = (ctx: ContextSpec, name: string): number => ctx.fields.find((f) => f.name === name)!.offset;
/** Offsets of the context fields the helpers keep up to date, from src/platform's layouts. */
const XDP_MD = { data: offsetOf(XDP_CTX, 'data'), dataEnd: offsetOf(XDP_CTX, 'data_end'), dataMeta: offsetOf(XDP_CTX, 'data_meta') } as const;
export const SKB = {
  len: offsetOf(TC_CTX, 'len'), pktType: offsetOf(TC_CTX, 'pkt_type'), hash: offsetOf(TC_CTX, 'hash'), data: offsetOf(TC_CTX, 'data'), dataEnd: offsetOf(TC_CTX, 'data_end'),
  dataMeta: offsetOf(TC_CTX, 'data_meta'), protocol: offsetOf(TC_CTX, 'protocol'), vlanPresent: offsetOf(TC_CTX, 'vlan_present'),
  vlanTci: offsetOf(TC_CTX, 'vlan_tci'), vlanProto: offsetOf(TC_CTX, 'vlan_proto'),
} as const;

/** CHECKSUM_NONE / CHECKSUM_UNNECESSARY: the states of skb->ip_summed a test run's skb can be in (no device computed a sum). */
export const CHECKSUM_NONE = 0;
export const CHECKSUM_UNNECESSARY = 1;

/**
 * What an skb keeps besides its bytes and the __sk_buff fields the program
 * reads (protocol, the VLAN tag and the hash live there, as the kernel's
 * context reads them): header positions, checksum state, the buffer.
 */
export interface SkbState {
  /** The buffer the packet lives in; the resizing helpers move the packet to a bigger one when it lacks room. */
  region: Region;
  /**
   * The buffers the packet left, released when the run ends: a stale packet
   * pointer of an unverified program reads the same bytes on both engines
   * until then (the verifier refuses such reads).
   */
  retired: Region[];
  /** Bytes from data to the MAC header: 0 when data is at it, -ETH_HLEN once eth_type_trans pulled it. */
  macOffset: number;
  /** skb->mac_len: 0 in a test run until a helper resets it. */
  macLen: number;
  /** skb->ip_summed (CHECKSUM_NONE or CHECKSUM_UNNECESSARY) and skb->csum_level. */
  ipSummed: number;
  csumLevel: number;
  /** skb->sw_hash: the hash was set (bpf_set_hash or a recalculation) and bpf_get_hash_recalc keeps it, even 0. */
  swHash: boolean;
  /** skb->encapsulation, set by bpf_skb_adjust_room's encapsulation flags. */
  encapsulation: boolean;
  /** The tunnel metadata bpf_skb_set_tunnel_key attached (the skb's metadata dst); a test run's skb has none. */
  tunnel?: TunnelInfo;
}

/** struct ip_tunnel_info as the tunnel helpers fill and read it. */
export interface TunnelInfo {
  ipv6: boolean;
  id: number;
  tos: number;
  ttl: number;
  /** The IPv6 flow label (network order value, masked to 20 bits). */
  label: number;
  /** key.tun_flags: IP_TUNNEL_*_BIT bits. */
  flags: number;
  /** key.u.ipv4/ipv6 src and dst, as the bytes of the bpf_tunnel_key fields they came from (4 or 16). */
  src: Uint8Array;
  dst: Uint8Array;
  /** The options bpf_skb_set_tunnel_opt gave (options_len bytes). */
  options: Uint8Array;
}

/** The packet of one run, as the helpers see and move it (addresses in the runtime's memory). */
export interface PacketFrame {
  kind: 'xdp' | 'skb';
  /** The context struct's address (xdp_md or __sk_buff): the helpers' first argument. */
  ctx: number;
  /** data_hard_start: the first byte of the buffer. */
  start: number;
  /** The end of the buffer (XDP: start + frame_sz). */
  end: number;
  data: number;
  dataEnd: number;
  dataMeta: number;
  /** skb: bytes from the buffer's data to the network header (ETH_HLEN when data is the MAC header, 0 after it). */
  networkOffset: number;
  /** XDP multi-buffer: the fragments after the linear part, each `size` bytes used of XDP_FRAG_SIZE. */
  frags?: { bytes: Uint8Array; size: number }[];
  /** What bpf_redirect / bpf_redirect_map recorded. */
  redirect?: { ifindex: number; flags: number };
  /** skb: the packet is at tc ingress (skb_at_tc_ingress), where bpf_sk_assign may steer it; a test run's is not. */
  tcIngress?: boolean;
  /** skb: the state the skb helpers read and change. */
  skb?: SkbState;
}

/** The run in progress of one runtime (runs do not nest). */
export class PacketRuns {
  current: PacketFrame | undefined;
  /** The key of bpf_get_hash_recalc's flow hash (the kernel's hashrnd), fixed on first use. */
  hashKey: number | undefined;
}

export const u32 = (v: bigint): number => Number(v & 0xffffffffn);
export const s32 = (v: bigint): number => Number(BigInt.asIntN(32, v));

export function frameOf(runs: PacketRuns, ctxArg: bigint, kind: 'xdp' | 'skb' | undefined, helper: string): PacketFrame {
  const f = runs.current;
  if (!f) throw new RuntimeError(`${helper}: no packet run in progress (the helper is for packet programs)`);
  if (BigInt(f.ctx) !== ctxArg) throw new RuntimeError(`${helper}: 0x${ctxArg.toString(16)} is not the program's context (0x${f.ctx.toString(16)})`);
  if (kind && f.kind !== kind) throw new RuntimeError(`${helper}: not available to ${f.kind} programs`);
  return f;
}

export function view(ctx: HelperContext): DataView {
  const b = ctx.space.bytes;
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Write the frame's pointers into the context struct. */
export function syncContext(ctx: HelperContext, f: PacketFrame): void {
  const v = view(ctx);
  if (f.kind === 'xdp') {
    v.setUint32(f.ctx + XDP_MD.data, f.data, true);
    v.setUint32(f.ctx + XDP_MD.dataEnd, f.dataEnd, true);
    v.setUint32(f.ctx + XDP_MD.dataMeta, f.dataMeta, true);
  } else {
    v.setUint32(f.ctx + SKB.len, f.dataEnd - f.data, true);
    v.setUint32(f.ctx + SKB.data, f.data, true);
    v.setUint32(f.ctx + SKB.dataEnd, f.dataEnd, true);
    v.setUint32(f.ctx + SKB.dataMeta, f.dataMeta, true);
    ctx.engine.packetMoved(f);
  }
}

// ---- one's complement checksums (include/net/checksum.h) -------------------------------------

export const csumAdd = (a: number, b: number): number => {
  const s = (a >>> 0) + (b >>> 0);
  return (s + (s > 0xffffffff ? 1 : 0)) >>> 0;
};
export const csumSub = (a: number, b: number): number => csumAdd(a, ~b >>> 0);
/** csum_fold: 32 bits folded to 16, complemented. */
const csumFold = (sum: number): number => {
  let s = (sum & 0xffff) + (sum >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
};
export const csum16Add = (csum: number, addend: number): number => {
  const r = (csum + addend) & 0xffff;
  return (r + (r < addend ? 1 : 0)) & 0xffff;
};
const csum16Sub = (csum: number, addend: number): number => csum16Add(csum, ~addend & 0xffff);

/** skb_clear_hash: hash 0, and the next bpf_get_hash_recalc computes it again. */
export function clearHash(ctx: HelperContext, f: PacketFrame): void {
  view(ctx).setUint32(f.ctx + SKB.hash, 0, true);
  if (f.skb) f.skb.swHash = false;
}

/** xdp_get_buff_len: the bytes of the frame from data, fragments included. */
export function buffLen(f: PacketFrame): number {
  return f.dataEnd - f.data + (f.frags ?? []).reduce((n, g) => n + g.size, 0);
}

function xdpHelpers(runs: PacketRuns): HelperDef[] {
  /** long bpf_xdp_adjust_head(xdp_md, int delta). */
  const adjustHead = (ctx: HelperContext, xdp: bigint, delta: bigint): bigint => {
    const f = frameOf(runs, xdp, 'xdp', 'bpf_xdp_adjust_head');
    const offset = s32(delta);
    const metalen = f.data - f.dataMeta;
    const data = f.data + offset;
    if (data < f.start + XDP_FRAME_SIZE + metalen || data > f.dataEnd - ETH_HLEN) return helperErr('EINVAL');
    if (metalen) ctx.space.bytes.copyWithin(f.dataMeta + offset, f.dataMeta, f.dataMeta + metalen);
    f.dataMeta += offset;
    f.data = data;
    syncContext(ctx, f);
    return 0n;
  };
  /** long bpf_xdp_adjust_meta(xdp_md, int delta). */
  const adjustMeta = (ctx: HelperContext, xdp: bigint, delta: bigint): bigint => {
    const f = frameOf(runs, xdp, 'xdp', 'bpf_xdp_adjust_meta');
    const meta = f.dataMeta + s32(delta);
    const metalen = f.data - meta;
    if (meta < f.start + XDP_FRAME_SIZE || meta > f.data) return helperErr('EINVAL');
    if (metalen & 3 || metalen > XDP_META_MAX) return helperErr('EACCES');
    f.dataMeta = meta;
    syncContext(ctx, f);
    return 0n;
  };
  /**
   * long bpf_xdp_adjust_tail(xdp_md, int delta): grows into zeroed bytes, up
   * to the tailroom (of the last fragment, in a multi-buffer frame); shrinks
   * fragments from the end first, dropping the ones it empties.
   */
  const adjustTail = (ctx: HelperContext, xdp: bigint, delta: bigint): bigint => {
    const f = frameOf(runs, xdp, 'xdp', 'bpf_xdp_adjust_tail');
    const offset = s32(delta);
    const frags = f.frags ?? [];
    if (frags.length) {
      if (offset > 0) {
        const last = frags[frags.length - 1];
        if (offset > XDP_FRAG_SIZE - last.size) return helperErr('EINVAL');
        last.bytes.fill(0, last.size, last.size + offset);
        last.size += offset;
        return 0n;
      }
      let shrink = -offset;
      if (shrink > buffLen(f) - ETH_HLEN) return helperErr('EINVAL');
      while (shrink > 0 && frags.length) {
        const last = frags[frags.length - 1];
        const cut = Math.min(shrink, last.size);
        last.size -= cut;
        shrink -= cut;
        if (last.size === 0) frags.pop();
      }
      f.dataEnd -= shrink;
      syncContext(ctx, f);
      return 0n;
    }
    const dataEnd = f.dataEnd + offset;
    if (dataEnd > f.end - XDP_TAILROOM || dataEnd < f.data + ETH_HLEN) return helperErr('EINVAL');
    if (offset > 0) ctx.space.bytes.fill(0, f.dataEnd, dataEnd);
    f.dataEnd = dataEnd;
    syncContext(ctx, f);
    return 0n;
  };
  /** bpf_xdp_pointer's checks, then a copy between the frame (linear part and fragments) and `buf`. */
  const xdpCopy = (name: string, store: boolean) => (ctx: HelperContext, xdp: bigint, off: bigint, buf: bigint, len: bigint): bigint => {
    const f = frameOf(runs, xdp, 'xdp', name);
    const offset = u32(off), size = u32(len);
    if (offset > 0xffff || size > 0xffff) return helperErr('EFAULT');
    if (offset + size > buffLen(f)) return helperErr('EINVAL');
    const at = helperAccess(ctx, buf, size, !store);
    const mem = ctx.space.bytes;
    const pieces: Uint8Array[] = [mem.subarray(f.data, f.dataEnd), ...(f.frags ?? []).map((g) => g.bytes.subarray(0, g.size))];
    let skip = offset, done = 0;
    for (const piece of pieces) {
      if (done === size) break;
      if (skip >= piece.length) {
        skip -= piece.length;
        continue;
      }
      const n = Math.min(piece.length - skip, size - done);
      if (store) piece.set(mem.subarray(at + done, at + done + n), skip);
      else mem.set(piece.subarray(skip, skip + n), at + done);
      done += n;
      skip = 0;
    }
    return 0n;
  };
  /** u64 bpf_xdp_get_buff_len(xdp_md): the linear part and every fragment. */
  const getBuffLen = (_ctx: HelperContext, xdp: bigint): bigint => BigInt(buffLen(frameOf(runs, xdp, 'xdp', 'bpf_xdp_get_buff_len')));
  /**
   * long bpf_redirect_map(map, u64 key, u64 flags). A redirect goes through a
   * devmap, cpumap or xskmap, which a runtime has none of: every lookup
   * misses, and a miss returns the action in the flags' low bits.
   */
  const redirectMap = (_ctx: HelperContext, _map: bigint, _key: bigint, flags: bigint): bigint => {
    if (runs.current?.kind !== 'xdp') throw new RuntimeError('bpf_redirect_map: no XDP run in progress');
    const actionMask = 3n;
    if (flags & ~(actionMask | BigInt(BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS))) return BigInt(XDP_ABORTED);
    return flags & actionMask;
  };
  return [
    { id: BPF_FUNC_xdp_adjust_head, name: 'bpf_xdp_adjust_head', fn: adjustHead },
    { id: BPF_FUNC_xdp_adjust_meta, name: 'bpf_xdp_adjust_meta', fn: adjustMeta },
    { id: BPF_FUNC_xdp_adjust_tail, name: 'bpf_xdp_adjust_tail', fn: adjustTail },
    { id: BPF_FUNC_xdp_get_buff_len, name: 'bpf_xdp_get_buff_len', fn: getBuffLen },
    { id: BPF_FUNC_xdp_load_bytes, name: 'bpf_xdp_load_bytes', fn: xdpCopy('bpf_xdp_load_bytes', false) },
    { id: BPF_FUNC_xdp_store_bytes, name: 'bpf_xdp_store_bytes', fn: xdpCopy('bpf_xdp_store_bytes', true) },
    { id: BPF_FUNC_redirect_map, name: 'bpf_redirect_map', fn: redirectMap },
  ];
}

function skbHelpers(runs: PacketRuns): HelperDef[] {
  /** long bpf_skb_load_bytes(skb, u32 offset, void *to, u32 len): -EFAULT (and `to` zeroed) when out of the packet. */
  const loadBytes = (ctx: HelperContext, skb: bigint, off: bigint, to: bigint, len: bigint): bigint => {
    const f = frameOf(runs, skb, 'skb', 'bpf_skb_load_bytes');
    const offset = u32(off), size = u32(len);
    const at = helperAccess(ctx, to, size, true);
    const bytes = ctx.space.bytes;
    if (offset > INT_MAX || offset + size > f.dataEnd - f.data) {
      bytes.fill(0, at, at + size);
      return helperErr('EFAULT');
    }
    bytes.copyWithin(at, f.data + offset, f.data + offset + size);
    return 0n;
  };
  /** long bpf_skb_store_bytes(skb, u32 offset, const void *from, u32 len, u64 flags). */
  const storeBytes = (ctx: HelperContext, skb: bigint, off: bigint, from: bigint, len: bigint, flags: bigint): bigint => {
    const f = frameOf(runs, skb, 'skb', 'bpf_skb_store_bytes');
    if (flags & ~BigInt(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH)) return helperErr('EINVAL');
    const offset = u32(off), size = u32(len);
    if (offset > INT_MAX) return helperErr('EFAULT');
    // bpf_try_make_writable fails for bytes past the packet; the helper answers -EFAULT for it.
    if (offset + size > f.dataEnd - f.data) return helperErr('EFAULT');
    const at = helperAccess(ctx, from, size, false);
    ctx.space.bytes.copyWithin(f.data + offset, at, at + size);
    if (flags & BigInt(BPF_F_INVALIDATE_HASH)) clearHash(ctx, f);
    return 0n;
  };
  /** The 16-bit checksum field at `offset` of the packet, after the kernel's checks; or -errno. */
  const csumField = (f: PacketFrame, off: bigint): number => {
    const offset = u32(off);
    if (off > 0xffffn || offset & 1) return negErrno('EFAULT');
    if (offset + 2 > f.dataEnd - f.data) return negErrno('EFAULT');
    return f.data + offset;
  };
  /** long bpf_l3_csum_replace(skb, u32 offset, u64 from, u64 to, u64 size). */
  const l3 = (ctx: HelperContext, skb: bigint, off: bigint, from: bigint, to: bigint, flags: bigint): bigint => {
    const f = frameOf(runs, skb, 'skb', 'bpf_l3_csum_replace');
    if (flags & ~BigInt(BPF_F_HDR_FIELD_MASK)) return helperErr('EINVAL');
    const at = csumField(f, off);
    if (at < 0) return intResult(at);
    const v = view(ctx);
    const sum = v.getUint16(at, true);
    switch (Number(flags & BigInt(BPF_F_HDR_FIELD_MASK))) {
      case 0:
        if (from !== 0n) return helperErr('EINVAL');
        v.setUint16(at, csumFold(csumAdd(u32(to), ~sum & 0xffff)), true);
        return 0n;
      case 2:
        v.setUint16(at, ~csum16Add(csum16Sub(~sum & 0xffff, u32(from) & 0xffff), u32(to) & 0xffff) & 0xffff, true);
        return 0n;
      case 4:
        v.setUint16(at, csumFold(csumAdd(csumSub(~sum & 0xffff, u32(from)), u32(to))), true);
        return 0n;
      default:
        return helperErr('EINVAL');
    }
  };
  /** long bpf_l4_csum_replace(skb, u32 offset, u64 from, u64 to, u64 flags): the skb of a test run is CHECKSUM_NONE. */
  const l4 = (ctx: HelperContext, skb: bigint, off: bigint, from: bigint, to: bigint, flags: bigint): bigint => {
    const f = frameOf(runs, skb, 'skb', 'bpf_l4_csum_replace');
    const known = BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_HDR_FIELD_MASK;
    if (flags & ~BigInt(known)) return helperErr('EINVAL');
    const at = csumField(f, off);
    if (at < 0) return intResult(at);
    const mangled0 = (flags & BigInt(BPF_F_MARK_MANGLED_0)) !== 0n;
    const enforce = (flags & BigInt(BPF_F_MARK_ENFORCE)) !== 0n;
    const v = view(ctx);
    const sum = v.getUint16(at, true);
    if (mangled0 && !enforce && sum === 0) return 0n;
    let next: number;
    switch (Number(flags & BigInt(BPF_F_HDR_FIELD_MASK))) {
      case 0:
        if (from !== 0n) return helperErr('EINVAL');
        next = csumFold(csumAdd(u32(to), ~sum & 0xffff));
        break;
      case 2:
        next = csumFold(csumAdd(csumSub(~sum & 0xffff, u32(from) & 0xffff), u32(to) & 0xffff));
        break;
      case 4:
        next = csumFold(csumAdd(csumSub(~sum & 0xffff, u32(from)), u32(to)));
        break;
      default:
        return helperErr('EINVAL');
    }
    v.setUint16(at, mangled0 && next === 0 ? CSUM_MANGLED_0 : next, true);
    return 0n;
  };
  /** u32 bpf_get_hash_recalc(skb): the skb's hash, computed from the flow (addresses, protocol, ports) when unset. */
  const hashRecalc = (ctx: HelperContext, skb: bigint): bigint => {
    const f = frameOf(runs, skb, 'skb', 'bpf_get_hash_recalc');
    const v = view(ctx);
    const known = v.getUint32(f.ctx + SKB.hash, true);
    if (known || f.skb?.swHash) return BigInt(known);
    runs.hashKey ??= ctx.random() >>> 0;
    const flow = flowKeys(ctx.space.bytes, f);
    const hash = flow ? jhash(flow, 0, flow.length, runs.hashKey) || 1 : 0;
    v.setUint32(f.ctx + SKB.hash, hash >>> 0, true);
    if (f.skb) f.skb.swHash = true;
    return BigInt(hash >>> 0);
  };
  return [
    { id: BPF_FUNC_skb_load_bytes, name: 'bpf_skb_load_bytes', fn: loadBytes },
    { id: BPF_FUNC_skb_store_bytes, name: 'bpf_skb_store_bytes', fn: storeBytes },
    { id: BPF_FUNC_l3_csum_replace, name: 'bpf_l3_csum_replace', fn: l3 },
    { id: BPF_FUNC_l4_csum_replace, name: 'bpf_l4_csum_replace', fn: l4 },
    { id: BPF_FUNC_get_hash_recalc, name: 'bpf_get_hash_recalc', fn: hashRecalc },
  ];
}

/**
 * The flow an skb belongs to, as bytes to hash: IPv4 or IPv6 addresses, the
 * L4 protocol and, for TCP/UDP/SCTP, the ports. Undefined when the packet
 * is not IP (the kernel's hash is 0 then too).
 */
function flowKeys(bytes: Uint8Array, f: PacketFrame): Uint8Array | undefined {
  const l2 = f.data + f.networkOffset - ETH_HLEN;
  const net = f.data + f.networkOffset;
  if (l2 < f.start || net > f.dataEnd) return undefined;
  const proto = (bytes[l2 + 12] << 8) | bytes[l2 + 13];
  let l4: number, ipProto: number, addrs: Uint8Array;
  if (proto === 0x0800 && net + 20 <= f.dataEnd) {
    const ihl = (bytes[net] & 0xf) * 4;
    ipProto = bytes[net + 9];
    addrs = bytes.slice(net + 12, net + 20);
    l4 = net + ihl;
  } else if (proto === 0x86dd && net + 40 <= f.dataEnd) {
    ipProto = bytes[net + 6];
    addrs = bytes.slice(net + 8, net + 40);
    l4 = net + 40;
  } else {
    return undefined;
  }
  const ports = (ipProto === 6 || ipProto === 17 || ipProto === 132) && l4 + 4 <= f.dataEnd ? bytes.slice(l4, l4 + 4) : new Uint8Array(4);
  const out = new Uint8Array(addrs.length + 8);
  out.set(addrs, 0);
  out.set(ports, addrs.length);
  out[addrs.length + 4] = ipProto;
  return out;
}

/** bpf_redirect: TC_ACT_REDIRECT (tc) or XDP_REDIRECT (xdp); bad flags give TC_ACT_SHOT / XDP_ABORTED. */
function redirectHelper(runs: PacketRuns): HelperDef {
  return {
    id: BPF_FUNC_redirect, name: 'bpf_redirect',
    fn: (_ctx, ifindex, flags) => {
      const f = runs.current;
      if (!f) throw new RuntimeError('bpf_redirect: no packet run in progress (the helper is for packet programs)');
      if (f.kind === 'xdp') {
        if (flags) return BigInt(XDP_ABORTED);
        f.redirect = { ifindex: u32(ifindex), flags: 0 };
        return BigInt(XDP_REDIRECT);
      }
      if (flags & ~BigInt(BPF_F_INGRESS)) return BigInt(TC_ACT_SHOT);
      f.redirect = { ifindex: u32(ifindex), flags: Number(flags) };
      return BigInt(TC_ACT_REDIRECT);
    },
  };
}

/** Every packet helper, bound to the runs of one runtime. */
export function packetHelpers(runs: PacketRuns): HelperDef[] {
  return [...xdpHelpers(runs), ...skbHelpers(runs), redirectHelper(runs)];
}
