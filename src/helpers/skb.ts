/**
 * The skb helpers that resize, re-tag or summarise a packet (net/core/filter.c):
 * bpf_csum_diff (XDP too), bpf_skb_pull_data, bpf_csum_update,
 * bpf_csum_level, bpf_skb_load_bytes_relative, bpf_skb_change_tail,
 * bpf_skb_change_head, bpf_skb_adjust_room, bpf_skb_vlan_push/pop,
 * bpf_skb_change_proto, bpf_skb_change_type, bpf_set_hash(_invalid), bpf_skb_ecn_set_ce,
 * bpf_check_mtu (skb and XDP), and the classid/realm getters.
 *
 * They act on the frame of the run in progress (PacketRuns.current) and its
 * SkbState: header offsets are kept relative to data, so moving the packet
 * to a bigger buffer (as pskb_expand_head does) changes no offset. Every
 * helper that changes the packet writes len, data, data_end and data_meta
 * back into __sk_buff (bpf_compute_data_pointers), protocol and the VLAN
 * tag too where it changes them. A test run's skb comes from lo (MTU 65536,
 * hard_header_len 14), is linear, never GSO and never CHECKSUM_COMPLETE.
 */
import type { HelperContext } from './context.js';
import { helperAccess } from './context.js';
import { helperErr } from './errno.js';
import {
  CHECKSUM_NONE, CHECKSUM_UNNECESSARY, ETH_HLEN, ETH_P_IP, ETH_P_IPV6, IPV4_HLEN, IPV6_HLEN, LOOPBACK_IFINDEX, SKB, clearHash, csum16Add, csumSub, frameOf, s32, syncContext, u32, view,
  type PacketFrame, type PacketRuns, type SkbState,
} from './packet.js';
import { RuntimeError } from './errors.js';
import type { HelperDef } from './table.js';

/** enum bpf_func_id of the helpers here. */
export const BPF_FUNC_get_cgroup_classid = 17;
export const BPF_FUNC_skb_vlan_push = 18;
export const BPF_FUNC_skb_vlan_pop = 19;
export const BPF_FUNC_get_route_realm = 24;
export const BPF_FUNC_csum_diff = 28;
export const BPF_FUNC_skb_change_proto = 31;
export const BPF_FUNC_skb_change_type = 32;
export const BPF_FUNC_skb_change_tail = 38;
export const BPF_FUNC_skb_pull_data = 39;
export const BPF_FUNC_csum_update = 40;
export const BPF_FUNC_set_hash_invalid = 41;
export const BPF_FUNC_skb_change_head = 43;
export const BPF_FUNC_set_hash = 48;
export const BPF_FUNC_skb_adjust_room = 50;
export const BPF_FUNC_skb_load_bytes_relative = 68;
export const BPF_FUNC_skb_ecn_set_ce = 97;
export const BPF_FUNC_csum_level = 135;
export const BPF_FUNC_skb_cgroup_classid = 151;
export const BPF_FUNC_check_mtu = 163;

const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
const ETH_P_802_3 = 0x0001;
const ETH_P_802_2 = 0x0004;
/** ETH_P_802_3_MIN: ethertypes start here; below it is an 802.3 length. */
const ETH_P_802_3_MIN = 0x0600;
const VLAN_HLEN = 4;
/** The destination and source MAC addresses: a VLAN tag goes right after them. */
const ETH_ALEN_PAIR = 12;
const VLAN_ETH_HLEN = 18;
const VLAN_MAX_DEPTH = 8;
/** BPF_SKB_MAX_LEN = SKB_MAX_ALLOC: four pages less the skb_shared_info. */
export const BPF_SKB_MAX_LEN = 16064;
const LOOPBACK_MTU = 65536;
const SKB_MAX_CSUM_LEVEL = 3;
/** The last skb->pkt_type bpf_skb_change_type may set or leave (PACKET_HOST 0 … PACKET_OTHERHOST 3). */
const PACKET_OTHERHOST = 3;

const BPF_HDR_START_MAC = 0;
const BPF_HDR_START_NET = 1;

const BPF_CSUM_LEVEL_QUERY = 0n;
const BPF_CSUM_LEVEL_INC = 1n;
const BPF_CSUM_LEVEL_DEC = 2n;
const BPF_CSUM_LEVEL_RESET = 3n;

const BPF_ADJ_ROOM_NET = 0;
const BPF_ADJ_ROOM_MAC = 1;
const BPF_F_ADJ_ROOM_FIXED_GSO = 1n << 0n;
const BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 = 1n << 1n;
const BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 = 1n << 2n;
const BPF_F_ADJ_ROOM_ENCAP_L4_GRE = 1n << 3n;
const BPF_F_ADJ_ROOM_ENCAP_L4_UDP = 1n << 4n;
const BPF_F_ADJ_ROOM_NO_CSUM_RESET = 1n << 5n;
const BPF_F_ADJ_ROOM_ENCAP_L2_ETH = 1n << 6n;
const BPF_F_ADJ_ROOM_DECAP_L3_IPV4 = 1n << 7n;
const BPF_F_ADJ_ROOM_DECAP_L3_IPV6 = 1n << 8n;
const BPF_ADJ_ROOM_ENCAP_L2_SHIFT = 56n;
const ENCAP_L3_MASK = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
const DECAP_L3_MASK = BPF_F_ADJ_ROOM_DECAP_L3_IPV4 | BPF_F_ADJ_ROOM_DECAP_L3_IPV6;
const ADJ_ROOM_MASK = BPF_F_ADJ_ROOM_FIXED_GSO | ENCAP_L3_MASK | BPF_F_ADJ_ROOM_ENCAP_L4_GRE | BPF_F_ADJ_ROOM_ENCAP_L4_UDP
  | BPF_F_ADJ_ROOM_ENCAP_L2_ETH | (0xffn << BPF_ADJ_ROOM_ENCAP_L2_SHIFT) | DECAP_L3_MASK;

const BPF_MTU_CHK_SEGS = 1n;
const BPF_MTU_CHK_RET_SUCCESS = 0n;
const BPF_MTU_CHK_RET_FRAG_NEEDED = 1n;

const swap16 = (v: number): number => ((v & 0xff) << 8) | ((v >> 8) & 0xff);
const isVlan = (proto: number): boolean => proto === ETH_P_8021Q || proto === ETH_P_8021AD;
const ok = 0n;

/** The skb of the run, with its state; a frame without one (not built by a test run) cannot be resized. */
function skbOf(runs: PacketRuns, ctxArg: bigint, helper: string): { f: PacketFrame; s: SkbState } {
  const f = frameOf(runs, ctxArg, 'skb', helper);
  if (!f.skb) throw new RuntimeError(`${helper}: the skb of this run has no buffer state (it was not made by a test run)`);
  return { f, s: f.skb };
}

// ---- the __sk_buff fields that mirror the skb: protocol and the hardware VLAN tag ------------

/** skb->protocol in host order (__sk_buff holds the big-endian value). */
function protocolOf(ctx: HelperContext, f: PacketFrame): number {
  return swap16(view(ctx).getUint32(f.ctx + SKB.protocol, true) & 0xffff);
}

function setProtocol(ctx: HelperContext, f: PacketFrame, proto: number): void {
  view(ctx).setUint32(f.ctx + SKB.protocol, swap16(proto), true);
}

interface VlanTag { proto: number; tci: number }

/** skb_vlan_tag_present: skb->vlan_all is not zero. */
function vlanTag(ctx: HelperContext, f: PacketFrame): VlanTag | undefined {
  const v = view(ctx);
  if (!v.getUint32(f.ctx + SKB.vlanPresent, true)) return undefined;
  return { proto: swap16(v.getUint32(f.ctx + SKB.vlanProto, true) & 0xffff), tci: v.getUint32(f.ctx + SKB.vlanTci, true) };
}

/** __vlan_hwaccel_put_tag / __vlan_hwaccel_clear_tag. */
function setVlanTag(ctx: HelperContext, f: PacketFrame, tag: VlanTag | undefined): void {
  const v = view(ctx);
  v.setUint32(f.ctx + SKB.vlanPresent, tag ? 1 : 0, true);
  v.setUint32(f.ctx + SKB.vlanTci, tag?.tci ?? 0, true);
  v.setUint32(f.ctx + SKB.vlanProto, tag ? swap16(tag.proto) : 0, true);
}

// ---- the buffer ------------------------------------------------------------------------------

/**
 * skb_cow / __skb_grow: at least `head` bytes before data and `tail` after
 * the end. Without them the packet moves to a new buffer with the room it
 * needs, as pskb_expand_head does; offsets kept relative to data stay right.
 */
function reserve(ctx: HelperContext, f: PacketFrame, s: SkbState, head: number, tail: number): void {
  const haveHead = f.data - f.start, haveTail = f.end - f.dataEnd;
  if (haveHead >= head && haveTail >= tail) return;
  const newHead = Math.max(head, haveHead), newTail = Math.max(tail, haveTail);
  const used = f.dataEnd - f.start;
  const region = ctx.space.alloc(s.region.name, newHead + (f.dataEnd - f.data) + newTail, 'packet', true);
  const at = region.start + newHead - haveHead;
  const bytes = ctx.space.bytes;
  bytes.copyWithin(at, f.start, f.start + used);
  const delta = at - f.start;
  s.retired.push(s.region);
  s.region = region;
  f.start = region.start;
  f.end = region.start + region.size;
  f.data += delta;
  f.dataEnd += delta;
  f.dataMeta += delta;
}

/** skb_push + memmove of the first `off` bytes + zeroing: `len` new zero bytes at offset `off` (bpf_skb_generic_push). */
function insertAt(ctx: HelperContext, f: PacketFrame, s: SkbState, off: number, len: number): void {
  reserve(ctx, f, s, len, 0);
  const bytes = ctx.space.bytes;
  f.data -= len;
  bytes.copyWithin(f.data, f.data + len, f.data + len + off);
  bytes.fill(0, f.data + off, f.data + off + len);
  f.dataMeta = f.data;
}

/** `len` bytes at offset `off` taken out, the first `off` bytes moved up (bpf_skb_generic_pop, after its pull check). */
function removeAt(ctx: HelperContext, f: PacketFrame, off: number, len: number): void {
  ctx.space.bytes.copyWithin(f.data + len, f.data, f.data + off);
  f.data += len;
  f.dataMeta = f.data;
}

const skbLen = (f: PacketFrame): number => f.dataEnd - f.data;

/** skb_mac_header_len: network header minus MAC header. */
const macHeaderLen = (f: PacketFrame, s: SkbState): number => f.networkOffset - s.macOffset;

/** __skb_reset_checksum_unnecessary. */
function resetChecksumUnnecessary(s: SkbState): void {
  if (s.ipSummed === CHECKSUM_UNNECESSARY) {
    s.ipSummed = CHECKSUM_NONE;
    s.csumLevel = 0;
  }
}

// ---- checksums -------------------------------------------------------------------------------

/**
 * csum_partial as x86-64 computes it: the one's complement sum of the
 * little-endian words (the tail zero-padded) plus the seed, folded to 32
 * bits with end-around carries — 0 only when every word and the seed are 0.
 */
export function csumPartial(bytes: Uint8Array, at: number, len: number, seed: number): number {
  let sum = seed >>> 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    sum += (bytes[at + i] | (bytes[at + i + 1] << 8) | (bytes[at + i + 2] << 16) | (bytes[at + i + 3] << 24)) >>> 0;
    // Fold before the sum leaves the integers a double holds exactly (megabytes of map value).
    if (sum > 2 ** 52) sum = ((sum - 1) % 0xffffffff) + 1;
  }
  let tail = 0;
  for (let k = 0; i + k < len; k++) tail += bytes[at + i + k] * 2 ** (8 * k);
  sum += tail;
  if (sum === 0) return 0;
  return ((sum - 1) % 0xffffffff) + 1;
}

/** csum_from32to16: the two halves added with end-around carry (not complemented). */
const csumFrom32to16 = (sum: number): number => {
  const s = (sum >>> 16) + (sum & 0xffff);
  return (s + (s >>> 16)) & 0xffff;
};

function csumHelpers(): HelperDef[] {
  /** s64 bpf_csum_diff(__be32 *from, u32 from_size, __be32 *to, u32 to_size, __wsum seed): any sizes, folded to 16 bits. */
  const csumDiff = (ctx: HelperContext, from: bigint, fromSize: bigint, to: bigint, toSize: bigint, seed: bigint): bigint => {
    const nFrom = u32(fromSize), nTo = u32(toSize);
    const bytes = ctx.space.bytes;
    const fromAt = nFrom ? helperAccess(ctx, from, nFrom, false) : 0;
    const toAt = nTo ? helperAccess(ctx, to, nTo, false) : 0;
    let ret = u32(seed);
    if (nFrom && nTo) ret = csumSub(csumPartial(bytes, toAt, nTo, ret), csumPartial(bytes, fromAt, nFrom, 0));
    else if (nTo) ret = csumPartial(bytes, toAt, nTo, ret);
    else if (nFrom) ret = ~csumPartial(bytes, fromAt, nFrom, ~ret >>> 0) >>> 0;
    return BigInt(csumFrom32to16(ret));
  };
  return [{ id: BPF_FUNC_csum_diff, name: 'bpf_csum_diff', fn: csumDiff }];
}

function skbHelpers(runs: PacketRuns): HelperDef[] {
  /** long bpf_skb_pull_data(skb, u32 len): a linear skb has every byte; more than it holds is -ENOMEM. */
  const pullData = (ctx: HelperContext, skb: bigint, len: bigint): bigint => {
    const { f } = skbOf(runs, skb, 'bpf_skb_pull_data');
    const want = u32(len) || skbLen(f);
    syncContext(ctx, f);
    return want > skbLen(f) ? helperErr('ENOMEM') : ok;
  };

  /** s64 bpf_csum_update(skb, __wsum csum): only a CHECKSUM_COMPLETE skb has a sum to update, and a test run's never is. */
  const csumUpdate = (_ctx: HelperContext, skb: bigint): bigint => {
    skbOf(runs, skb, 'bpf_csum_update');
    return helperErr('ENOTSUPP');
  };

  /** long bpf_csum_level(skb, u64 level). */
  const csumLevel = (_ctx: HelperContext, skb: bigint, level: bigint): bigint => {
    const { s } = skbOf(runs, skb, 'bpf_csum_level');
    switch (level) {
      case BPF_CSUM_LEVEL_INC:
        if (s.ipSummed === CHECKSUM_UNNECESSARY) s.csumLevel = Math.min(s.csumLevel + 1, SKB_MAX_CSUM_LEVEL);
        else {
          s.ipSummed = CHECKSUM_UNNECESSARY;
          s.csumLevel = 0;
        }
        return ok;
      case BPF_CSUM_LEVEL_DEC:
        if (s.ipSummed === CHECKSUM_UNNECESSARY) {
          if (s.csumLevel === 0) s.ipSummed = CHECKSUM_NONE;
          else s.csumLevel--;
        }
        return ok;
      case BPF_CSUM_LEVEL_RESET:
        resetChecksumUnnecessary(s);
        return ok;
      case BPF_CSUM_LEVEL_QUERY:
        return s.ipSummed === CHECKSUM_UNNECESSARY ? BigInt(s.csumLevel) : helperErr('EACCES');
      default:
        return helperErr('EINVAL');
    }
  };

  /** long bpf_skb_load_bytes_relative(skb, u32 offset, void *to, u32 len, u32 start_header): -EFAULT (to zeroed) past the packet. */
  const loadBytesRelative = (ctx: HelperContext, skb: bigint, off: bigint, to: bigint, len: bigint, startHeader: bigint): bigint => {
    const { f, s } = skbOf(runs, skb, 'bpf_skb_load_bytes_relative');
    const offset = u32(off), size = u32(len);
    const at = helperAccess(ctx, to, size, true);
    const bytes = ctx.space.bytes;
    let start: number | undefined;
    if (offset <= 0xffff) {
      if (startHeader === BigInt(BPF_HDR_START_MAC)) start = f.data + s.macOffset;
      else if (startHeader === BigInt(BPF_HDR_START_NET)) start = f.data + f.networkOffset;
    }
    if (start === undefined || start + offset + size > f.dataEnd) {
      bytes.fill(0, at, at + size);
      return helperErr('EFAULT');
    }
    bytes.copyWithin(at, start + offset, start + offset + size);
    return ok;
  };

  /** long bpf_skb_change_tail(skb, u32 len, u64 flags): grows with zeros or trims, down to the headers' end. */
  const changeTail = (ctx: HelperContext, skb: bigint, len: bigint, flags: bigint): bigint => {
    const { f, s } = skbOf(runs, skb, 'bpf_skb_change_tail');
    const newLen = u32(len);
    // __bpf_skb_min_len: the network offset (no transport header is set, no CHECKSUM_PARTIAL).
    const minLen = Math.max(0, f.networkOffset);
    let ret = ok;
    if (flags || newLen > BPF_SKB_MAX_LEN || newLen < minLen) ret = helperErr('EINVAL');
    else if (s.encapsulation) ret = helperErr('ENOTSUPP');
    else {
      const old = skbLen(f);
      if (newLen > old) {
        reserve(ctx, f, s, 0, newLen - old);
        ctx.space.bytes.fill(0, f.dataEnd, f.data + newLen);
      }
      f.dataEnd = f.data + newLen;
    }
    syncContext(ctx, f);
    return ret;
  };

  /** long bpf_skb_change_head(skb, u32 head_room, u64 flags): zeroed room in front, which becomes the MAC header. */
  const changeHead = (ctx: HelperContext, skb: bigint, room: bigint, flags: bigint): bigint => {
    const { f, s } = skbOf(runs, skb, 'bpf_skb_change_head');
    const headRoom = u32(room);
    const newLen = skbLen(f) + headRoom;
    let ret = ok;
    if (flags || headRoom > 0x7fffffff || newLen > BPF_SKB_MAX_LEN) ret = helperErr('EINVAL');
    else {
      insertAt(ctx, f, s, 0, headRoom);
      f.networkOffset += headRoom;
      s.macOffset = 0;
      s.macLen = macHeaderLen(f, s);
    }
    syncContext(ctx, f);
    return ret;
  };

  /** long bpf_skb_adjust_room(skb, s32 len_diff, u32 mode, u64 flags): room at the MAC or network header, for encapsulation. */
  const adjustRoom = (ctx: HelperContext, skb: bigint, diff: bigint, modeArg: bigint, flags: bigint): bigint => {
    const { f, s } = skbOf(runs, skb, 'bpf_skb_adjust_room');
    const ret = adjustRoomOf(ctx, f, s, s32(diff), u32(modeArg), flags);
    if (ret === ok && !(flags & BPF_F_ADJ_ROOM_NO_CSUM_RESET)) resetChecksumUnnecessary(s);
    syncContext(ctx, f);
    return ret;
  };

  /** long bpf_skb_vlan_push(skb, __be16 vlan_proto, u16 vlan_tci): the tag goes to the skb; a tag it had goes into the packet. */
  const vlanPush = (ctx: HelperContext, skb: bigint, protoArg: bigint, tciArg: bigint): bigint => {
    const { f, s } = skbOf(runs, skb, 'bpf_skb_vlan_push');
    let proto = swap16(u32(protoArg) & 0xffff);
    if (!isVlan(proto)) proto = ETH_P_8021Q;
    let ret = ok;
    const old = vlanTag(ctx, f);
    if (old && s.macOffset !== 0) ret = helperErr('EINVAL');
    else {
      if (old) {
        insertVlanTag(ctx, f, s, old);
        setProtocol(ctx, f, old.proto);
      }
      setVlanTag(ctx, f, { proto, tci: u32(tciArg) & 0xffff });
    }
    s.macLen = macHeaderLen(f, s);
    syncContext(ctx, f);
    return ret;
  };

  /** long bpf_skb_vlan_pop(skb): the skb's tag, or the packet's; the packet's next tag then becomes the skb's. */
  const vlanPop = (ctx: HelperContext, skb: bigint): bigint => {
    const { f, s } = skbOf(runs, skb, 'bpf_skb_vlan_pop');
    const ret = vlanPopOf(ctx, f, s);
    syncContext(ctx, f);
    return ret;
  };

  /** long bpf_skb_change_proto(skb, __be16 proto, u64 flags): IPv4 <-> IPv6, 20 bytes of room added or taken after the MAC header. */
  const changeProto = (ctx: HelperContext, skb: bigint, protoArg: bigint, flags: bigint): bigint => {
    const { f, s } = skbOf(runs, skb, 'bpf_skb_change_proto');
    let ret = ok;
    const from = protocolOf(ctx, f), to = swap16(u32(protoArg) & 0xffff);
    const lenDiff = IPV6_HLEN - IPV4_HLEN;
    const off = macHeaderLen(f, s);
    if (flags) ret = helperErr('EINVAL');
    else if (from === ETH_P_IP && to === ETH_P_IPV6) {
      insertAt(ctx, f, s, off, lenDiff);
      setProtocol(ctx, f, ETH_P_IPV6);
      clearHash(ctx, f);
    } else if (from === ETH_P_IPV6 && to === ETH_P_IP) {
      if (off + lenDiff > skbLen(f)) ret = helperErr('ENOMEM');
      else {
        removeAt(ctx, f, off, lenDiff);
        setProtocol(ctx, f, ETH_P_IP);
        clearHash(ctx, f);
      }
    } else ret = helperErr('ENOTSUPP');
    syncContext(ctx, f);
    return ret;
  };

  /** long bpf_set_hash(skb, u32 hash): a software hash that bpf_get_hash_recalc keeps. */
  const setHash = (ctx: HelperContext, skb: bigint, hash: bigint): bigint => {
    const { f, s } = skbOf(runs, skb, 'bpf_set_hash');
    view(ctx).setUint32(f.ctx + SKB.hash, u32(hash), true);
    s.swHash = true;
    return ok;
  };

  /** long bpf_set_hash_invalid(skb). */
  const setHashInvalid = (ctx: HelperContext, skb: bigint): bigint => {
    clearHash(ctx, frameOf(runs, skb, 'skb', 'bpf_set_hash_invalid'));
    return ok;
  };

  /** long bpf_skb_ecn_set_ce(skb): 1 when the IP header now says Congestion Experienced, 0 when it cannot. */
  const ecnSetCe = (ctx: HelperContext, skb: bigint): bigint => {
    const { f, s } = skbOf(runs, skb, 'bpf_skb_ecn_set_ce');
    return BigInt(ecnSetCeOf(ctx, f, s));
  };

  /**
   * long bpf_check_mtu(ctx, u32 ifindex, u32 *mtu_len, s32 len_diff, u64 flags) against lo; the
   * skb and XDP variants differ (BPF_MTU_CHK_SEGS, the length measured). Errors leave *mtu_len.
   */
  const checkMtu = (ctx: HelperContext, r1: bigint, ifindex: bigint, mtuLen: bigint, lenDiff: bigint, flags: bigint): bigint => {
    const xdp = runs.current?.kind === 'xdp';
    const f = frameOf(runs, r1, xdp ? 'xdp' : 'skb', 'bpf_check_mtu');
    const at = helperAccess(ctx, mtuLen, 4, true);
    const v = view(ctx);
    const given = v.getUint32(at, true);
    if (xdp ? flags : flags & ~BPF_MTU_CHK_SEGS) return helperErr('EINVAL');
    if (flags & BPF_MTU_CHK_SEGS && (lenDiff & 0xffffffffn || given)) return helperErr('EINVAL');
    const mtu = deviceMtu(ifindex);
    if (mtu === undefined) return helperErr('ENODEV');
    const len = ((given ? given + ETH_HLEN : skbLen(f)) + s32(lenDiff)) | 0;
    v.setUint32(at, mtu, true);
    // A GSO skb longer than the MTU may still pass as segments; a test run's skb is never GSO.
    return len <= mtu + ETH_HLEN ? BPF_MTU_CHK_RET_SUCCESS : BPF_MTU_CHK_RET_FRAG_NEEDED;
  };

  /**
   * u32 bpf_get_cgroup_classid(skb) in tc, bpf_get_cgroup_classid_curr() (the same id, no argument)
   * elsewhere: the net_cls class of the current task, or of the skb's socket in softirq. A runtime
   * has no net_cls cgroup, so both are 0, as for a task in the root cgroup.
   */
  const cgroupClassid = (): bigint => 0n;

  /** long bpf_skb_change_type(skb, u32 type): only between PACKET_HOST and PACKET_OTHERHOST. */
  const changeType = (ctx: HelperContext, skb: bigint, type: bigint): bigint => {
    const f = frameOf(runs, skb, 'skb', 'bpf_skb_change_type');
    const v = view(ctx);
    if (v.getUint32(f.ctx + SKB.pktType, true) > PACKET_OTHERHOST || u32(type) > PACKET_OTHERHOST) return helperErr('EINVAL');
    v.setUint32(f.ctx + SKB.pktType, u32(type), true);
    return ok;
  };
  /** u64 bpf_skb_cgroup_classid(skb): the class of the skb's socket's cgroup; the test run's socket has none. */
  const skbCgroupClassid = (_ctx: HelperContext, skb: bigint): bigint => {
    frameOf(runs, skb, 'skb', 'bpf_skb_cgroup_classid');
    return 0n;
  };
  /** u32 bpf_get_route_realm(skb): the realm of the skb's route; a test run's skb has no route. */
  const routeRealm = (_ctx: HelperContext, skb: bigint): bigint => {
    frameOf(runs, skb, 'skb', 'bpf_get_route_realm');
    return 0n;
  };

  return [
    { id: BPF_FUNC_skb_pull_data, name: 'bpf_skb_pull_data', fn: pullData },
    { id: BPF_FUNC_csum_update, name: 'bpf_csum_update', fn: csumUpdate },
    { id: BPF_FUNC_csum_level, name: 'bpf_csum_level', fn: csumLevel },
    { id: BPF_FUNC_skb_load_bytes_relative, name: 'bpf_skb_load_bytes_relative', fn: loadBytesRelative },
    { id: BPF_FUNC_skb_change_tail, name: 'bpf_skb_change_tail', fn: changeTail },
    { id: BPF_FUNC_skb_change_head, name: 'bpf_skb_change_head', fn: changeHead },
    { id: BPF_FUNC_skb_adjust_room, name: 'bpf_skb_adjust_room', fn: adjustRoom },
    { id: BPF_FUNC_skb_vlan_push, name: 'bpf_skb_vlan_push', fn: vlanPush },
    { id: BPF_FUNC_skb_vlan_pop, name: 'bpf_skb_vlan_pop', fn: vlanPop },
    { id: BPF_FUNC_skb_change_proto, name: 'bpf_skb_change_proto', fn: changeProto },
    { id: BPF_FUNC_set_hash, name: 'bpf_set_hash', fn: setHash },
    { id: BPF_FUNC_set_hash_invalid, name: 'bpf_set_hash_invalid', fn: setHashInvalid },
    { id: BPF_FUNC_skb_ecn_set_ce, name: 'bpf_skb_ecn_set_ce', fn: ecnSetCe },
    { id: BPF_FUNC_check_mtu, name: 'bpf_check_mtu', fn: checkMtu },
    { id: BPF_FUNC_get_cgroup_classid, name: 'bpf_get_cgroup_classid', fn: cgroupClassid },
    { id: BPF_FUNC_skb_change_type, name: 'bpf_skb_change_type', fn: changeType },
    { id: BPF_FUNC_skb_cgroup_classid, name: 'bpf_skb_cgroup_classid', fn: skbCgroupClassid },
    { id: BPF_FUNC_get_route_realm, name: 'bpf_get_route_realm', fn: routeRealm },
  ];
}

/** The MTU of the device `ifindex` names (0: the skb's or frame's own, lo), or undefined when there is no such device. */
function deviceMtu(ifindex: bigint): number | undefined {
  const i = u32(ifindex);
  return i === 0 || i === LOOPBACK_IFINDEX ? LOOPBACK_MTU : undefined;
}

/** The body of bpf_skb_adjust_room, before the checksum reset and the pointer update. */
function adjustRoomOf(ctx: HelperContext, f: PacketFrame, s: SkbState, lenDiff: number, mode: number, flags: bigint): bigint {
  const abs = Math.abs(lenDiff);
  const shrink = lenDiff < 0;
  const proto = protocolOf(ctx, f);
  if (flags & ~(ADJ_ROOM_MASK | BPF_F_ADJ_ROOM_NO_CSUM_RESET)) return helperErr('EINVAL');
  if (abs > 0xfff) return helperErr('EFAULT');
  if (proto !== ETH_P_IP && proto !== ETH_P_IPV6) return helperErr('ENOTSUPP');
  const baseLen = proto === ETH_P_IP ? IPV4_HLEN : IPV6_HLEN;
  let off = macHeaderLen(f, s);
  if (mode === BPF_ADJ_ROOM_NET) off += baseLen;
  else if (mode !== BPF_ADJ_ROOM_MAC) return helperErr('ENOTSUPP');
  let lenMin = baseLen;
  if (flags & DECAP_L3_MASK) {
    if (!shrink) return helperErr('EINVAL');
    const decap = flags & DECAP_L3_MASK;
    if (decap === BPF_F_ADJ_ROOM_DECAP_L3_IPV4) lenMin = IPV4_HLEN;
    else if (decap === BPF_F_ADJ_ROOM_DECAP_L3_IPV6) lenMin = IPV6_HLEN;
    else return helperErr('EINVAL');
  }
  const lenCur = skbLen(f) - f.networkOffset;
  if (shrink ? abs >= lenCur || lenCur - abs < lenMin : skbLen(f) + abs > BPF_SKB_MAX_LEN) return helperErr('ENOTSUPP');
  if (shrink) {
    // bpf_skb_net_shrink
    if (flags & ~(BPF_F_ADJ_ROOM_FIXED_GSO | DECAP_L3_MASK | BPF_F_ADJ_ROOM_NO_CSUM_RESET)) return helperErr('EINVAL');
    if (off + abs > skbLen(f)) return helperErr('ENOMEM');
    removeAt(ctx, f, off, abs);
    if (proto === ETH_P_IP && flags & BPF_F_ADJ_ROOM_DECAP_L3_IPV6) setProtocol(ctx, f, ETH_P_IPV6);
    else if (proto === ETH_P_IPV6 && flags & BPF_F_ADJ_ROOM_DECAP_L3_IPV4) setProtocol(ctx, f, ETH_P_IP);
    return ok;
  }
  // bpf_skb_net_grow
  const encap = (flags & ENCAP_L3_MASK) !== 0n;
  const innerMacLen = Number((flags >> BPF_ADJ_ROOM_ENCAP_L2_SHIFT) & 0xffn);
  let macLen = 0;
  if (encap) {
    if ((flags & ENCAP_L3_MASK) === ENCAP_L3_MASK) return helperErr('EINVAL');
    if (flags & BPF_F_ADJ_ROOM_ENCAP_L4_GRE && flags & BPF_F_ADJ_ROOM_ENCAP_L4_UDP) return helperErr('EINVAL');
    if (flags & BPF_F_ADJ_ROOM_ENCAP_L2_ETH && innerMacLen < ETH_HLEN) return helperErr('EINVAL');
    if (s.encapsulation) return helperErr('EALREADY');
    macLen = macHeaderLen(f, s);
    if (innerMacLen > abs) return helperErr('EINVAL');
  }
  insertAt(ctx, f, s, off, abs);
  if (encap) {
    s.encapsulation = true;
    // skb_set_network_header(skb, mac_len): the outer network header right after the MAC header.
    f.networkOffset = macLen;
    if (proto === ETH_P_IP && flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV6) setProtocol(ctx, f, ETH_P_IPV6);
    else if (proto === ETH_P_IPV6 && flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV4) setProtocol(ctx, f, ETH_P_IP);
  }
  return ok;
}

/** __vlan_insert_tag at the MAC header: four bytes after the MAC addresses, the tag's proto and TCI big-endian. */
function insertVlanTag(ctx: HelperContext, f: PacketFrame, s: SkbState, tag: VlanTag): void {
  insertAt(ctx, f, s, ETH_ALEN_PAIR, VLAN_HLEN);
  const v = view(ctx);
  v.setUint16(f.data + ETH_ALEN_PAIR, tag.proto, false);
  v.setUint16(f.data + ETH_ALEN_PAIR + 2, tag.tci, false);
  f.networkOffset += VLAN_HLEN;
  s.macLen += VLAN_HLEN;
}

/** __skb_vlan_pop: the tag after the MAC addresses out of the packet; its TCI, or an error. */
function popPacketTag(ctx: HelperContext, f: PacketFrame, s: SkbState): { tci: number } | bigint {
  if (s.macOffset !== 0) return helperErr('EINVAL');
  if (skbLen(f) < VLAN_ETH_HLEN) return helperErr('ENOMEM');
  const v = view(ctx);
  const tci = v.getUint16(f.data + ETH_HLEN, false);
  const inner = v.getUint16(f.data + ETH_HLEN + 2, false);
  let proto = inner;
  if (inner < ETH_P_802_3_MIN) {
    // vlan_set_encap_proto: an 802.3 length; 0xffff after it is raw 802.3 (IPX), anything else 802.2 LLC.
    const raw = f.data + VLAN_ETH_HLEN + 2 <= f.dataEnd ? v.getUint16(f.data + VLAN_ETH_HLEN, false) : 0;
    proto = raw === 0xffff ? ETH_P_802_3 : ETH_P_802_2;
  }
  removeAt(ctx, f, ETH_ALEN_PAIR, VLAN_HLEN);
  setProtocol(ctx, f, proto);
  f.networkOffset -= VLAN_HLEN;
  if (f.networkOffset < ETH_HLEN) f.networkOffset = ETH_HLEN;
  s.macLen = macHeaderLen(f, s);
  return { tci };
}

/** skb_vlan_pop. */
function vlanPopOf(ctx: HelperContext, f: PacketFrame, s: SkbState): bigint {
  if (vlanTag(ctx, f)) setVlanTag(ctx, f, undefined);
  else {
    if (!isVlan(protocolOf(ctx, f))) return ok;
    const popped = popPacketTag(ctx, f, s);
    if (typeof popped === 'bigint') return popped;
  }
  const next = protocolOf(ctx, f);
  if (!isVlan(next)) return ok;
  const popped = popPacketTag(ctx, f, s);
  if (typeof popped === 'bigint') return popped;
  setVlanTag(ctx, f, { proto: next, tci: popped.tci });
  return ok;
}

/** skb_protocol(skb, true): past VLAN tags in the packet when the skb holds none (__vlan_get_protocol); 0 when they do not parse. */
function protocolPastVlans(ctx: HelperContext, f: PacketFrame, s: SkbState): number {
  let proto = protocolOf(ctx, f);
  if (vlanTag(ctx, f) || !isVlan(proto)) return proto;
  if (s.macLen && s.macLen < VLAN_HLEN) return 0;
  let depth = s.macLen ? s.macLen - VLAN_HLEN : ETH_HLEN;
  const v = view(ctx);
  let parse = VLAN_MAX_DEPTH;
  do {
    if (f.data + depth + VLAN_HLEN > f.dataEnd || --parse === 0) return 0;
    proto = v.getUint16(f.data + depth + 2, false);
    depth += VLAN_HLEN;
  } while (isVlan(proto));
  return proto;
}

/** bpf_skb_ecn_set_ce / INET_ECN_set_ce. */
function ecnSetCeOf(ctx: HelperContext, f: PacketFrame, s: SkbState): number {
  const proto = protocolPastVlans(ctx, f, s);
  const hdrLen = proto === ETH_P_IP ? IPV4_HLEN : proto === ETH_P_IPV6 ? IPV6_HLEN : 0;
  if (!hdrLen || skbLen(f) < hdrLen) return 0;
  const net = f.data + f.networkOffset;
  if (net + hdrLen > f.dataEnd) return 0;
  const v = view(ctx);
  if (proto === ETH_P_IP) {
    const tos = v.getUint8(net + 1);
    const ecn = (tos + 1) & 3;
    if (!(ecn & 2)) return ecn ? 0 : 1;
    v.setUint16(net + 10, csum16Add(v.getUint16(net + 10, false), 0xfffb + ecn), false);
    v.setUint8(net + 1, tos | 3);
    return 1;
  }
  const word = v.getUint32(net, false);
  if (!((word >>> 20) & 3)) return 0;
  v.setUint32(net, (word | (3 << 20)) >>> 0, false);
  return 1;
}

/** The helpers of this file, bound to the runs of one runtime. */
export function skbResizeHelpers(runs: PacketRuns): HelperDef[] {
  return [...csumHelpers(), ...skbHelpers(runs)];
}
