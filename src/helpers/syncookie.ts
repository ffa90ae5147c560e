/**
 * The SYN cookie helpers (net/core/filter.c), for XDP and tc SYN proxies:
 * bpf_tcp_raw_gen_syncookie_ipv4/6 and bpf_tcp_raw_check_syncookie_ipv4/6
 * on bare headers, bpf_tcp_gen_syncookie and bpf_tcp_check_syncookie on
 * behalf of a listener of the runtime's socket table.
 *
 * The cookie is the kernel's (net/ipv4/syncookies.c, net/ipv6/syncookies.c):
 *
 *   hash(0, secret 0) + client seq + (count << 24) + ((hash(count, secret 1) + mss index) mod 2^24)
 *
 * where hash is SipHash-2-4 of the 4-tuple and `count`, and count is the
 * minute counter tcp_cookie_time (jiffies / 60 HZ). A check subtracts the
 * first two terms, accepts a count at most one minute old and recovers the
 * MSS index. The secrets and the clock are the host model's
 * (HelperHost.syncookieSecret, the context's clock), so the same headers
 * give the same cookie on every engine, and moving the clock expires it.
 */
import { jiffies64 } from './base.js';
import { argAccess, type HelperContext } from './context.js';
import { helperErr } from './errno.js';
import { RuntimeError } from './errors.js';
import { AF_INET6, IPPROTO_TCP, TCP_STATES, type Sock, type SocketTable } from './sock.js';
import type { HelperDef } from './table.js';

export const BPF_FUNC_tcp_check_syncookie = 100;
export const BPF_FUNC_tcp_gen_syncookie = 110;
export const BPF_FUNC_tcp_raw_gen_syncookie_ipv4 = 204;
export const BPF_FUNC_tcp_raw_gen_syncookie_ipv6 = 205;
export const BPF_FUNC_tcp_raw_check_syncookie_ipv4 = 206;
export const BPF_FUNC_tcp_raw_check_syncookie_ipv6 = 207;

/** sizeof(struct iphdr), struct ipv6hdr, struct tcphdr. */
const IPHDR = 20, IPV6HDR = 40, TCPHDR = 20;
/** The MSS an IPv4 SYN without the option gets (TCP_MSS_DEFAULT), and an IPv6 one (IPV6_MIN_MTU - 60). */
export const TCP_MSS_DEFAULT = 536;
export const IPV6_MSS_CLAMP = 1220;
/** The MSS values a cookie can encode, by index (msstab of each family's syncookies.c). */
export const MSSTAB_IPV4: readonly number[] = Object.freeze([536, 1300, 1440, 1460]);
export const MSSTAB_IPV6: readonly number[] = Object.freeze([1220, 1420, 1440, 8940]);
/** The cookie keeps the minute counter in its top 8 bits (COOKIEBITS = 24). */
const COOKIEBITS = 24;
const COOKIEMASK = (1 << COOKIEBITS) - 1;
/** A cookie is good for the minute it was made in and the next one. */
const MAX_SYNCOOKIE_AGE = 2;

const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M64;

/** SipHash-2-4 of `msg` under the 16-byte `key` (two little-endian u64), as the kernel's siphash(). */
export function siphash(msg: Uint8Array, key: Uint8Array): bigint {
  const kv = new DataView(key.buffer, key.byteOffset, 16);
  const k0 = kv.getBigUint64(0, true), k1 = kv.getBigUint64(8, true);
  let v0 = k0 ^ 0x736f6d6570736575n, v1 = k1 ^ 0x646f72616e646f6dn, v2 = k0 ^ 0x6c7967656e657261n, v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & M64; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M64; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & M64; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & M64; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const absorb = (m: bigint) => {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  };
  const whole = msg.length - (msg.length % 8);
  const mv = new DataView(msg.buffer, msg.byteOffset, msg.length);
  for (let i = 0; i < whole; i += 8) absorb(mv.getBigUint64(i, true));
  let last = BigInt(msg.length & 0xff) << 56n;
  for (let i = whole; i < msg.length; i++) last |= BigInt(msg[i]) << BigInt(8 * (i - whole));
  absorb(last);
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

/** The headers a cookie is made from or checked against, as they lie in the packet. */
interface Flow {
  v6: boolean;
  /** Source and destination address, 4 or 16 bytes each, network order. */
  saddr: Uint8Array;
  daddr: Uint8Array;
  /** The TCP header's first 20 bytes. */
  th: Uint8Array;
}

/**
 * cookie_hash: the low 32 bits of SipHash under key `c` of the family's
 * secret. IPv4 hashes four u32 (siphash_4u32): the addresses and the ports
 * as they lie in memory (little-endian host: the source port in the high
 * half), then the count; IPv6 the struct { saddr, daddr, u32 count, __be16
 * sport, dport }.
 */
function cookieHash(ctx: HelperContext, f: Flow, count: number, c: 0 | 1): number {
  const secret = f.v6 ? ctx.syncookieSecret.ipv6 : ctx.syncookieSecret.ipv4;
  const n = f.saddr.length;
  const msg = new Uint8Array(2 * n + 8);
  msg.set(f.saddr, 0);
  msg.set(f.daddr, n);
  const v = new DataView(msg.buffer);
  if (f.v6) {
    v.setUint32(2 * n, count, true);
    msg.set(f.th.subarray(0, 4), 2 * n + 4);
  } else {
    msg.set(f.th.subarray(2, 4), 2 * n);
    msg.set(f.th.subarray(0, 2), 2 * n + 2);
    v.setUint32(2 * n + 4, count, true);
  }
  return Number(siphash(msg, secret.subarray(16 * c, 16 * c + 16)) & 0xffffffffn);
}

/** tcp_cookie_time: the minute counter, jiffies / (60 HZ), as a u32. */
const cookieTime = (ctx: HelperContext): number => Number((jiffies64(ctx) / BigInt(60 * ctx.hz)) & 0xffffffffn);

const seqOf = (th: Uint8Array, at: number): number => new DataView(th.buffer, th.byteOffset + at, 4).getUint32(0, false);

/**
 * __cookie_v4/v6_init_sequence: the cookie for the SYN of `f` with MSS
 * `mss`, and the MSS the cookie stands for (the largest of the table at
 * most `mss`, or its smallest).
 */
function initSequence(ctx: HelperContext, f: Flow, mss: number): { cookie: number; mss: number } {
  const table = f.v6 ? MSSTAB_IPV6 : MSSTAB_IPV4;
  let index = table.length - 1;
  while (index > 0 && mss < table[index]) index--;
  const count = cookieTime(ctx);
  const cookie = cookieHash(ctx, f, 0, 0) + seqOf(f.th, 4) + ((count << COOKIEBITS) >>> 0) + ((cookieHash(ctx, f, count, 1) + index) & COOKIEMASK);
  return { cookie: cookie >>> 0, mss: table[index] };
}

/**
 * __cookie_v4/v6_check: the MSS the ACK of `f` carries a cookie for
 * (ack_seq - 1 against the client's seq - 1), or 0 when the cookie is not
 * one of this flow's from the last two minutes.
 */
function cookieCheck(ctx: HelperContext, f: Flow): number {
  const table = f.v6 ? MSSTAB_IPV6 : MSSTAB_IPV4;
  const seq = (seqOf(f.th, 4) - 1) >>> 0;
  const cookie = (seqOf(f.th, 8) - 1 - cookieHash(ctx, f, 0, 0) - seq) >>> 0;
  const count = cookieTime(ctx);
  const diff = (count - (cookie >>> COOKIEBITS)) & ((0xffffffff >>> COOKIEBITS));
  if (diff >= MAX_SYNCOOKIE_AGE) return 0;
  const index = ((cookie - cookieHash(ctx, f, (count - diff) >>> 0, 1)) & COOKIEMASK) >>> 0;
  return index < table.length ? table[index] : 0;
}

/**
 * tcp_parse_mss_option: the MSS option's value among the options of the
 * TCP header `th` (doff * 4 bytes), 0 when there is none; a malformed
 * option ends the search with what was found so far.
 */
export function tcpParseMssOption(th: Uint8Array): number {
  const end = Math.min((th[12] >> 4) * 4, th.length);
  let mss = 0;
  let at = TCPHDR;
  while (at < end) {
    const kind = th[at];
    if (kind === 0) return mss;
    if (kind === 1) {
      at++;
      continue;
    }
    if (end - at < 2) return mss;
    const size = th[at + 1];
    if (size < 2 || size > end - at) return mss;
    if (kind === 2 && size === 4) {
      const value = (th[at + 2] << 8) | th[at + 3];
      if (value) mss = value;
    }
    at += size;
  }
  return mss;
}

const bytesAt = (ctx: HelperContext, where: string, addr: bigint, size: number): Uint8Array => {
  const at = argAccess(ctx, where, addr, size, false);
  return ctx.space.bytes.subarray(at, at + size);
};

/** The flow of an IP header at `iph` (IPv6 when `v6`; `where` names the argument) and the TCP header `th`. */
function flowOf(ctx: HelperContext, where: string, v6: boolean, iph: bigint, th: Uint8Array): Flow {
  const ip = bytesAt(ctx, where, iph, v6 ? IPV6HDR : IPHDR);
  return v6
    ? { v6, saddr: ip.subarray(8, 24), daddr: ip.subarray(24, 40), th }
    : { v6, saddr: ip.subarray(12, 16), daddr: ip.subarray(16, 20), th };
}

/** TCP header flag bits (byte 13). */
const FIN = 0x01, SYN = 0x02, RST = 0x04, ACK = 0x10;
const u32Arg = (r: bigint): number => Number(r & 0xffffffffn);
/** The result of a gen helper: the cookie in the low 32 bits, the MSS it encodes in bits 32-47. */
const genResult = (g: { cookie: number; mss: number }): bigint => BigInt(g.cookie) | (BigInt(g.mss) << 32n);

/** bpf_tcp_raw_gen_syncookie_ipv4/6(iph, th, th_len): th_len must be the header's length (doff * 4), at least 20. */
function rawGen(ctx: HelperContext, v6: boolean, iph: bigint, thAddr: bigint, thLen: bigint): bigint {
  const helper = `bpf_tcp_raw_gen_syncookie_ipv${v6 ? 6 : 4}`;
  const len = u32Arg(thLen);
  if (len < TCPHDR) return helperErr('EINVAL');
  const th = bytesAt(ctx, `${helper}: r2 (th)`, thAddr, len);
  if (len !== (th[12] >> 4) * 4) return helperErr('EINVAL');
  const mss = tcpParseMssOption(th) || (v6 ? IPV6_MSS_CLAMP : TCP_MSS_DEFAULT);
  return genResult(initSequence(ctx, flowOf(ctx, `${helper}: r1 (iph)`, v6, iph, th), mss));
}

/** bpf_tcp_raw_check_syncookie_ipv4/6(iph, th): 0 for the ACK of a good cookie, else -EACCES. */
function rawCheck(ctx: HelperContext, v6: boolean, iph: bigint, thAddr: bigint): bigint {
  const helper = `bpf_tcp_raw_check_syncookie_ipv${v6 ? 6 : 4}`;
  const th = bytesAt(ctx, `${helper}: r2 (th)`, thAddr, TCPHDR);
  return cookieCheck(ctx, flowOf(ctx, `${helper}: r1 (iph)`, v6, iph, th)) > 0 ? 0n : helperErr('EACCES');
}

const TCP_LISTEN = TCP_STATES.listen;
/** TCP_SYNCOOKIE_VALID in seconds: how long after an overflow the listener takes cookies. */
const SYNCOOKIE_VALID_S = MAX_SYNCOOKIE_AGE * 60;

/**
 * The listeners' SYN queue overflow stamps (the jiffies of the last
 * overflow, tcp_synq_overflow), 0 until the first. A reuseport group shares
 * one, as the kernel keeps it in the group.
 */
class OverflowStamps {
  private readonly stamps = new Map<unknown, number>();

  private key(sock: Sock): unknown {
    if (!sock.spec.reuseport) return sock;
    const addr = Array.from(sock.local.subarray(0, sock.family === AF_INET6 ? 16 : 4)).join('.');
    return `${sock.spec.netns ?? ''}/${sock.family}/${addr}/${sock.spec.localPort}`;
  }

  /** tcp_synq_overflow: stamp now, unless the last stamp is less than a second old. */
  overflow(sock: Sock, now: number, hz: number): void {
    const last = this.stamps.get(this.key(sock)) ?? 0;
    if (!between32(now, last, last + hz)) this.stamps.set(this.key(sock), now);
  }

  /** tcp_synq_no_recent_overflow: no overflow from a second before the stamp to TCP_SYNCOOKIE_VALID after it. */
  noRecentOverflow(sock: Sock, now: number, hz: number): boolean {
    const last = this.stamps.get(this.key(sock)) ?? 0;
    return !between32(now, last - hz, last + SYNCOOKIE_VALID_S * hz);
  }
}

/** time_between32(t, l, h): l <= t <= h on the wrapping u32 jiffies. */
const between32 = (t: number, l: number, h: number): boolean => ((h - l) >>> 0) >= ((t - l) >>> 0);

const jiffies32 = (ctx: HelperContext): number => Number(jiffies64(ctx) & 0xffffffffn);

/** The socket argument: NULL, or a socket of the table (anything else is a clear error, as only an unverified program passes one). */
function listenerArg(table: SocketTable, helper: string, addr: bigint): Sock | undefined {
  if (addr === 0n) return undefined;
  const found = table.resolve(addr);
  if (!found) throw new RuntimeError(`${helper}: r1 0x${addr.toString(16)} is not a socket of this runtime`);
  return found.sock;
}

const isListener = (sock: Sock): boolean => sock.protocol === IPPROTO_TCP && sock.state === TCP_LISTEN;

/**
 * The IP version of the header at `iph` (the version nibble, at the same
 * place in both), after the checks both socket helpers make: -EINVAL for a
 * header too short for its version or a listener that cannot take it,
 * -EPROTONOSUPPORT for another version.
 */
function ipVersion(ctx: HelperContext, helper: string, sock: Sock, iph: bigint, iphLen: number): 4 | 6 | bigint {
  const version = bytesAt(ctx, `${helper}: r2 (iph)`, iph, IPHDR)[0] >> 4;
  if (version === 4) return sock.family === AF_INET6 && sock.spec.v6only ? helperErr('EINVAL') : 4;
  if (version === 6) return iphLen < IPV6HDR || sock.family !== AF_INET6 ? helperErr('EINVAL') : 6;
  return helperErr('EPROTONOSUPPORT');
}

/**
 * bpf_tcp_gen_syncookie(sk, iph, iph_len, th, th_len): the cookie the
 * listener `sk` answers this SYN with. The listener sends cookies only
 * when tcp_syncookies is 2, or 1 with its SYN queue full — a runtime's
 * listeners take no connections, so their queue never is: with the
 * default 1 the answer is -ENOENT, as the kernel's for a listener under no
 * SYN flood. A cookie made stamps the listener's SYN queue overflow, which
 * bpf_tcp_check_syncookie needs.
 */
function tcpGenSyncookie(table: SocketTable, stamps: OverflowStamps, ctx: HelperContext, r1: bigint, iph: bigint, iphLenArg: bigint, thAddr: bigint, thLenArg: bigint): bigint {
  const helper = 'bpf_tcp_gen_syncookie';
  const sock = listenerArg(table, helper, r1);
  const thLen = u32Arg(thLenArg), iphLen = u32Arg(iphLenArg);
  if (!sock || thLen < TCPHDR) return helperErr('EINVAL');
  const th = bytesAt(ctx, `${helper}: r4 (th)`, thAddr, thLen);
  if (thLen !== (th[12] >> 4) * 4) return helperErr('EINVAL');
  if (!isListener(sock)) return helperErr('EINVAL');
  if (ctx.tcpSyncookies === 0) return helperErr('ENOENT');
  const flags = th[13];
  if (!(flags & SYN) || flags & (ACK | FIN | RST)) return helperErr('EINVAL');
  if (iphLen < IPHDR) return helperErr('EINVAL');
  const version = ipVersion(ctx, helper, sock, iph, iphLen);
  if (typeof version === 'bigint') return version;
  // tcp_get_syncookie_mss: only under a SYN flood unless always (2); no socket of ours has TCP_MAXSEG set.
  if (ctx.tcpSyncookies !== 2) return helperErr('ENOENT');
  const mss = tcpParseMssOption(th) || (version === 6 ? IPV6_MSS_CLAMP : TCP_MSS_DEFAULT);
  const made = initSequence(ctx, flowOf(ctx, `${helper}: r2 (iph)`, version === 6, iph, th), mss);
  stamps.overflow(sock, jiffies32(ctx), ctx.hz);
  return genResult(made);
}

/**
 * bpf_tcp_check_syncookie(sk, iph, iph_len, th, th_len): 0 when this ACK
 * carries a good cookie of the listener `sk`; -ENOENT for a packet that is
 * not a bare ACK, a bad cookie, or a listener that sent no cookie in the
 * last two minutes.
 */
function tcpCheckSyncookie(table: SocketTable, stamps: OverflowStamps, ctx: HelperContext, r1: bigint, iph: bigint, iphLenArg: bigint, thAddr: bigint, thLenArg: bigint): bigint {
  const helper = 'bpf_tcp_check_syncookie';
  const sock = listenerArg(table, helper, r1);
  const thLen = u32Arg(thLenArg), iphLen = u32Arg(iphLenArg);
  if (!sock || thLen < TCPHDR) return helperErr('EINVAL');
  if (!isListener(sock)) return helperErr('EINVAL');
  if (ctx.tcpSyncookies === 0) return helperErr('EINVAL');
  const th = bytesAt(ctx, `${helper}: r4 (th)`, thAddr, TCPHDR);
  const flags = th[13];
  if (!(flags & ACK) || flags & (RST | SYN)) return helperErr('ENOENT');
  if (iphLen < IPHDR) return helperErr('EINVAL');
  if (stamps.noRecentOverflow(sock, jiffies32(ctx), ctx.hz)) return helperErr('ENOENT');
  const version = ipVersion(ctx, helper, sock, iph, iphLen);
  if (typeof version === 'bigint') return version;
  return cookieCheck(ctx, flowOf(ctx, `${helper}: r2 (iph)`, version === 6, iph, th)) > 0 ? 0n : helperErr('ENOENT');
}

/**
 * The SYN cookie helpers: the raw ones need only the context (its secrets
 * and clock); bpf_tcp_gen_syncookie and bpf_tcp_check_syncookie act for a
 * listener of `table`, whose SYN queue overflow stamps they keep.
 */
export function syncookieHelpers(table: SocketTable): HelperDef[] {
  const stamps = new OverflowStamps();
  return [
    {
      id: BPF_FUNC_tcp_gen_syncookie, name: 'bpf_tcp_gen_syncookie',
      fn: (ctx, r1, r2, r3, r4, r5) => tcpGenSyncookie(table, stamps, ctx, r1, r2, r3, r4, r5),
    },
    {
      id: BPF_FUNC_tcp_check_syncookie, name: 'bpf_tcp_check_syncookie',
      fn: (ctx, r1, r2, r3, r4, r5) => tcpCheckSyncookie(table, stamps, ctx, r1, r2, r3, r4, r5),
    },
    { id: BPF_FUNC_tcp_raw_gen_syncookie_ipv4, name: 'bpf_tcp_raw_gen_syncookie_ipv4', fn: (ctx, r1, r2, r3) => rawGen(ctx, false, r1, r2, r3) },
    { id: BPF_FUNC_tcp_raw_gen_syncookie_ipv6, name: 'bpf_tcp_raw_gen_syncookie_ipv6', fn: (ctx, r1, r2, r3) => rawGen(ctx, true, r1, r2, r3) },
    { id: BPF_FUNC_tcp_raw_check_syncookie_ipv4, name: 'bpf_tcp_raw_check_syncookie_ipv4', fn: (ctx, r1, r2) => rawCheck(ctx, false, r1, r2) },
    { id: BPF_FUNC_tcp_raw_check_syncookie_ipv6, name: 'bpf_tcp_raw_check_syncookie_ipv6', fn: (ctx, r1, r2) => rawCheck(ctx, true, r1, r2) },
  ];
}
