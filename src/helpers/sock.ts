/**
 * The sockets of a runtime's test world, and the socket helpers that find
 * and hand them out (net/core/filter.c).
 *
 * A runtime has no network stack: the caller describes the sockets its
 * programs may meet (`SocketSpec`: protocol, local and remote address and
 * port, TCP state, …) and the `SocketTable` lays each one out in the address
 * space as the platform's struct bpf_sock, followed by a struct
 * bpf_tcp_sock, so that the loads the verifier allows through a socket
 * pointer read real values on every engine. A socket pointer is the address
 * of its bpf_sock; a tcp_sock pointer the address of its bpf_tcp_sock.
 *
 * Lookups follow the kernel's tables: an exact four-tuple match among
 * connected sockets first, then listening (TCP) or bound (UDP) sockets, an
 * exact local address before a wildcard one. Where the kernel spreads
 * equal candidates over a reuseport group by hash, the table picks the
 * first one described.
 */
import { EbpfError } from '../internal/errors.js';
import type { AddressSpace, Region } from '../memory/index.js';
import type { SocketResolver } from '../maps/index.js';
import { BPF_SOCK, SK_LOOKUP_CTX, SOCK_BTF_FIELDS, SOCK_BTF_SIZES, TC_CTX, helperIdByName } from '../platform/index.js';
import { argAccess, type HelperContext } from './context.js';
import { helperErr } from './errno.js';
import { RuntimeError } from './errors.js';
import { ETH_HLEN, type PacketRuns } from './packet.js';
import type { HelperDef } from './table.js';
import { socketIdHelpers } from './sock-id.js';

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** include/net/tcp_states.h, by the names `ss` prints in lower case. */
export const TCP_STATES = Object.freeze({
  established: 1, syn_sent: 2, syn_recv: 3, fin_wait1: 4, fin_wait2: 5, time_wait: 6, close: 7, close_wait: 8,
  last_ack: 9, listen: 10, closing: 11, new_syn_recv: 12,
});
export type SocketState = keyof typeof TCP_STATES;
const TCP_ESTABLISHED = 1, TCP_TIME_WAIT = 6, TCP_CLOSE = 7, TCP_LISTEN = 10, TCP_NEW_SYN_RECV = 12;

/** struct bpf_tcp_sock's members in order (u32 but for the two u64 byte counters). */
export const TCP_SOCK_FIELDS = Object.freeze([
  'snd_cwnd', 'srtt_us', 'rtt_min', 'snd_ssthresh', 'rcv_nxt', 'snd_nxt', 'snd_una', 'mss_cache', 'ecn_flags',
  'rate_delivered', 'rate_interval_us', 'packets_out', 'retrans_out', 'total_retrans', 'segs_in', 'data_segs_in',
  'segs_out', 'data_segs_out', 'lost_out', 'sacked_out', 'bytes_received', 'bytes_acked', 'dsack_dups', 'delivered',
  'delivered_ce', 'icsk_retransmits',
] as const);
export type TcpSockField = (typeof TCP_SOCK_FIELDS)[number];
const TCP_U64 = new Set<TcpSockField>(['bytes_received', 'bytes_acked']);
export const SIZEOF_BPF_TCP_SOCK = 112;
/** What a fresh TCP socket holds (tcp_init_sock): TCP_INIT_CWND, rtt_min ~0, TCP_INFINITE_SSTHRESH, TCP_MSS_DEFAULT. */
const TCP_SOCK_DEFAULTS: Partial<Record<TcpSockField, number>> = { snd_cwnd: 10, rtt_min: 0xffffffff, snd_ssthresh: 0x7fffffff, mss_cache: 536 };

/** One socket of the test world, as the caller describes it. */
export interface SocketSpec {
  protocol: 'tcp' | 'udp';
  /** The local address (bpf_sock.src_ip4 / src_ip6), IPv4 or IPv6 text; it gives the family. `0.0.0.0` / `::`: every address. */
  localIp: string;
  localPort: number;
  /** The peer of a connected socket (dst_ip4 / dst_ip6, dst_port); default none (the wildcard address, port 0). */
  remoteIp?: string;
  remotePort?: number;
  /**
   * The TCP state (`listen`, `established`, `time_wait`, `new_syn_recv` for a
   * request socket…, or its number). Default: TCP `established` with a remote
   * port, `listen` without; UDP `established` (connected) or `close` (bound).
   */
  state?: SocketState | number;
  /** An IPv6 socket bound to `::` takes IPv4 lookups unless v6only (IPV6_V6ONLY). */
  v6only?: boolean;
  /** SO_BINDTODEVICE: the ifindex the socket is bound to (0: none). The runtime's device is lo, ifindex 1. */
  boundDevIf?: number;
  mark?: number;
  priority?: number;
  /** bpf_sock.rx_queue_mapping; default -1 (none recorded). */
  rxQueueMapping?: number;
  /** SO_REUSEPORT. */
  reuseport?: boolean;
  /** The id (in the program's namespace) of the network namespace the socket lives in; default the program's own. */
  netns?: number;
  /** The socket's cookie; default its position in the table, from 1 (the next one free). */
  cookie?: bigint | number;
  /** The owner's uid (sk_uid, bpf_get_socket_uid); default 0, root. */
  uid?: number;
  /**
   * The cgroup the socket was made in (cgroup v2), as the ids of its path
   * from the root cgroup down (bpf_sk_cgroup_id, bpf_skb_cgroup_id); default
   * the current task's (HelperHost.cgroup).
   */
  cgroup?: readonly (bigint | number)[];
  /** struct bpf_tcp_sock values (TCP sockets); the rest are a fresh socket's. */
  tcp?: Partial<Record<TcpSockField, number | bigint>>;
}

/** A socket description the table refuses: what is wrong, and which socket. */
export class SocketSpecError extends EbpfError {
  constructor(where: string, message: string) {
    super('ESOCKET', `${where}: ${message}`);
  }
}

/** A socket of the table, laid out in the address space. */
export interface Sock {
  readonly spec: Readonly<SocketSpec>;
  readonly family: number;
  readonly protocol: number;
  readonly state: number;
  /** 16 bytes: the IPv4 address in the first four for AF_INET. */
  readonly local: Uint8Array;
  readonly remote: Uint8Array;
  readonly cookie: bigint;
  /** In the lookup tables (every described socket; not the test run's own socket of an skb). */
  readonly hashed: boolean;
  /** The region: struct bpf_sock at its start, struct bpf_tcp_sock after it. */
  readonly region: Region;
  /** The address of its struct bpf_sock: what a socket pointer holds. */
  readonly address: number;
  /** The address of its struct bpf_tcp_sock. */
  readonly tcpAddress: number;
  /**
   * The address of the socket as the kernel lays it out (struct tcp_sock,
   * tcp6_sock, udp_sock, udp6_sock, tcp_timewait_sock, tcp_request_sock or
   * plain sock, by kind): what the bpf_skc_to_* casts return.
   */
  readonly kernelAddress: number;
  /** The region at kernelAddress. */
  readonly kernelRegion: Region;
  /** References the programs took (lookups) and have not released yet. */
  held: number;
}

const fail = (where: string, message: string): never => {
  throw new SocketSpecError(where, message);
};

/** IPv4 dotted quad or IPv6 text as 4 or 16 bytes, or undefined. */
export function parseIp(text: string): Uint8Array | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    return parts.every((p) => p <= 255) ? Uint8Array.from(parts) : undefined;
  }
  if (!text.includes(':')) return undefined;
  let tail: number[] = [];
  let body = text;
  const embedded = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (embedded) {
    const four = parseIp(embedded[2]);
    if (!four) return undefined;
    tail = [(four[0] << 8) | four[1], (four[2] << 8) | four[3]];
    body = embedded[1].endsWith('::') ? embedded[1] : embedded[1].slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out = s.split(':').map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
    return out.some(Number.isNaN) ? undefined : out;
  };
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !rest) return undefined;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const words = [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail];
  const out = new Uint8Array(16);
  words.forEach((w, i) => { out[2 * i] = w >> 8; out[2 * i + 1] = w & 0xff; });
  return out;
}

const SPEC_KEYS = new Set([
  'protocol', 'localIp', 'localPort', 'remoteIp', 'remotePort', 'state', 'v6only', 'boundDevIf', 'mark', 'priority',
  'rxQueueMapping', 'reuseport', 'netns', 'cookie', 'tcp', 'uid', 'cgroup',
]);

function u32Of(where: string, name: string, v: unknown, max = 0xffffffff): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) fail(where, `${name} must be an integer from 0 to ${max}, got ${String(v)}`);
  return v as number;
}

/** A checked copy of `spec`: its family, addresses and state resolved. */
function resolveSpec(spec: SocketSpec, where: string): Omit<Sock, 'region' | 'address' | 'tcpAddress' | 'kernelAddress' | 'kernelRegion' | 'held' | 'cookie' | 'hashed'> & { cookie?: bigint } {
  if (typeof spec !== 'object' || spec === null) fail(where, 'a socket is described by an object');
  for (const key of Object.keys(spec)) if (!SPEC_KEYS.has(key)) fail(where, `unknown property '${key}' (known: ${[...SPEC_KEYS].join(', ')})`);
  if (spec.protocol !== 'tcp' && spec.protocol !== 'udp') fail(where, `protocol must be 'tcp' or 'udp', got ${String(spec.protocol)}`);
  const tcp = spec.protocol === 'tcp';
  if (typeof spec.localIp !== 'string') fail(where, 'localIp (the local address) is required');
  const local = parseIp(spec.localIp);
  if (!local) fail(where, `localIp '${spec.localIp}' is not an IPv4 or IPv6 address`);
  const family = local!.length === 4 ? AF_INET : AF_INET6;
  u32Of(where, 'localPort', spec.localPort, 0xffff);
  let remote: Uint8Array = new Uint8Array(local!.length);
  if (spec.remoteIp !== undefined) {
    const r = typeof spec.remoteIp === 'string' ? parseIp(spec.remoteIp) : undefined;
    if (!r) fail(where, `remoteIp '${String(spec.remoteIp)}' is not an IPv4 or IPv6 address`);
    if (r!.length !== local!.length) fail(where, `remoteIp ${spec.remoteIp} is not of the family of localIp ${spec.localIp}`);
    remote = r!;
  }
  const remotePort = spec.remotePort === undefined ? 0 : u32Of(where, 'remotePort', spec.remotePort, 0xffff);
  let state: number;
  if (spec.state === undefined) state = tcp ? (remotePort ? TCP_ESTABLISHED : TCP_LISTEN) : (remotePort ? TCP_ESTABLISHED : TCP_CLOSE);
  else if (typeof spec.state === 'number') state = u32Of(where, 'state', spec.state, TCP_NEW_SYN_RECV);
  else if (Object.hasOwn(TCP_STATES, spec.state)) state = TCP_STATES[spec.state];
  else state = fail(where, `state '${String(spec.state)}' is not one of ${Object.keys(TCP_STATES).join(', ')}`);
  if (state === 0) fail(where, 'state must be from 1 to 12');
  if (!tcp && state !== TCP_CLOSE && state !== TCP_ESTABLISHED) fail(where, 'a UDP socket is close (bound) or established (connected)');
  if ((state === TCP_TIME_WAIT || state === TCP_NEW_SYN_RECV) && !remotePort) fail(where, `a ${state === TCP_TIME_WAIT ? 'time_wait' : 'request (new_syn_recv)'} socket needs its peer (remoteIp, remotePort)`);
  for (const name of ['boundDevIf', 'mark', 'priority', 'uid'] as const) if (spec[name] !== undefined) u32Of(where, name, spec[name]);
  if (spec.cgroup !== undefined) {
    if (!Array.isArray(spec.cgroup) || spec.cgroup.length === 0) fail(where, 'cgroup must list the cgroup ids from the root cgroup down, at least one');
    spec.cgroup.forEach((id, level) => {
      const big = typeof id === 'number' && Number.isSafeInteger(id) ? BigInt(id) : id;
      if (typeof big !== 'bigint' || big <= 0n || big >= 1n << 64n) fail(where, `cgroup[${level}] must be an integer from 1 to 2^64-1, got ${String(id)}`);
    });
  }
  if (spec.rxQueueMapping !== undefined && spec.rxQueueMapping !== -1) u32Of(where, 'rxQueueMapping', spec.rxQueueMapping, 0xfffe);
  if (spec.netns !== undefined) u32Of(where, 'netns', spec.netns, 0x7fffffff);
  for (const name of ['v6only', 'reuseport'] as const) {
    if (spec[name] !== undefined && typeof spec[name] !== 'boolean') fail(where, `${name} must be true or false`);
  }
  if (spec.v6only && family !== AF_INET6) fail(where, 'v6only is for IPv6 sockets');
  let cookie: bigint | undefined;
  if (spec.cookie !== undefined) {
    const c = typeof spec.cookie === 'number' && Number.isInteger(spec.cookie) ? BigInt(spec.cookie) : spec.cookie;
    if (typeof c !== 'bigint' || c <= 0n || c >= 1n << 64n) fail(where, `cookie must be an integer from 1 to 2^64-1, got ${String(spec.cookie)}`);
    cookie = c as bigint;
  }
  if (spec.tcp !== undefined) {
    if (!tcp) fail(where, 'tcp values are for TCP sockets');
    if (typeof spec.tcp !== 'object' || spec.tcp === null) fail(where, 'tcp must be an object of struct bpf_tcp_sock values');
    for (const [k, v] of Object.entries(spec.tcp)) {
      if (!(TCP_SOCK_FIELDS as readonly string[]).includes(k)) fail(where, `tcp.${k} is not a member of struct bpf_tcp_sock`);
      const max = TCP_U64.has(k as TcpSockField) ? (1n << 64n) - 1n : 0xffffffffn;
      const big = typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v;
      if (typeof big !== 'bigint' || big < 0n || big > max) fail(where, `tcp.${k} must be an integer from 0 to ${max}, got ${String(v)}`);
    }
  }
  const wide = (b: Uint8Array) => { const o = new Uint8Array(16); o.set(b); return o; };
  return {
    spec: Object.freeze({ ...spec }), family, protocol: tcp ? IPPROTO_TCP : IPPROTO_UDP, state,
    local: wide(local!), remote: wide(remote), ...(cookie !== undefined ? { cookie } : {}),
  };
}

/** Check a socket description as SocketTable.add does, without placing it (SocketSpecError naming `where`). */
export function checkSocketSpec(spec: SocketSpec, where = 'socket'): void {
  resolveSpec(spec, where);
}

const fieldOffset = (name: string): number => BPF_SOCK.fields.find((f) => f.name === name)!.offset;
/** struct bpf_sock offsets, from src/platform's description. */
const SK = {
  boundDevIf: fieldOffset('bound_dev_if'), family: fieldOffset('family'), type: fieldOffset('type'), protocol: fieldOffset('protocol'),
  mark: fieldOffset('mark'), priority: fieldOffset('priority'), srcIp4: fieldOffset('src_ip4'), srcIp6: fieldOffset('src_ip6'),
  srcPort: fieldOffset('src_port'), dstPort: fieldOffset('dst_port'), dstIp4: fieldOffset('dst_ip4'), dstIp6: fieldOffset('dst_ip6'),
  state: fieldOffset('state'), rxQueueMapping: fieldOffset('rx_queue_mapping'),
} as const;
const SOCK_SIZE = BPF_SOCK.size;

type KernelStruct = keyof typeof SOCK_BTF_SIZES;

/** The kernel struct a socket is (its sk_prot's obj_size): what its memory holds past struct sock. */
function kernelStruct(s: { protocol: number; family: number; state: number }): KernelStruct {
  const v6 = s.family === AF_INET6;
  if (s.protocol === IPPROTO_TCP) {
    if (s.state === TCP_TIME_WAIT) return 'tcp_timewait_sock';
    if (s.state === TCP_NEW_SYN_RECV) return 'tcp_request_sock';
    return v6 ? 'tcp6_sock' : 'tcp_sock';
  }
  if (s.protocol === IPPROTO_UDP) return v6 ? 'udp6_sock' : 'udp_sock';
  return 'sock';
}

const KSK = SOCK_BTF_FIELDS.sock;
const KTCP = SOCK_BTF_FIELDS.tcp_sock;

/**
 * Fill the kernel's layout of `sock` from its struct bpf_sock (`uapi`, just
 * laid out, which already holds the addresses as the kernel keeps them):
 * struct sock_common for every kind, the struct sock members for a full
 * socket, the tcp_sock members struct bpf_tcp_sock mirrors for TCP. The rest
 * stays zero (NULL pointers, as PROBE_MEM loads through them read 0).
 */
function layKernelSock(sock: Sock, type: number, v: DataView, uapi: Uint8Array): void {
  const k = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  k.set(uapi.subarray(SK.dstIp4, SK.dstIp4 + 4), KSK.skc_daddr.offset);
  k.set(uapi.subarray(SK.srcIp4, SK.srcIp4 + 4), KSK.skc_rcv_saddr.offset);
  k.set(uapi.subarray(SK.dstPort, SK.dstPort + 2), KSK.skc_dport.offset);
  v.setUint16(KSK.skc_num.offset, sock.spec.localPort, true);
  v.setUint16(KSK.skc_family.offset, sock.family, true);
  v.setUint8(KSK.skc_state.offset, sock.state);
  v.setInt32(KSK.skc_bound_dev_if.offset, sock.spec.boundDevIf ?? 0, true);
  k.set(uapi.subarray(SK.dstIp6, SK.dstIp6 + 16), KSK.skc_v6_daddr.offset);
  k.set(uapi.subarray(SK.srcIp6, SK.srcIp6 + 16), KSK.skc_v6_rcv_saddr.offset);
  v.setBigUint64(KSK.skc_cookie.offset, sock.cookie, true);
  if (!SocketTable.fullsock(sock)) return;
  v.setUint16(KSK.sk_type.offset, type, true);
  v.setUint16(KSK.sk_protocol.offset, sock.protocol, true);
  v.setUint32(KSK.sk_mark.offset, sock.spec.mark ?? 0, true);
  v.setUint32(KSK.sk_priority.offset, sock.spec.priority ?? 0, true);
  if (sock.protocol !== IPPROTO_TCP || !sock.hashed) return;
  for (const name of TCP_SOCK_FIELDS) {
    // rtt_min is a struct minmax in the kernel, not one number.
    if (name === 'rtt_min') continue;
    const value = BigInt(sock.spec.tcp?.[name] ?? TCP_SOCK_DEFAULTS[name] ?? 0);
    const f = KTCP[name];
    if (f.size === 8) v.setBigUint64(f.offset, value, true);
    else if (f.size === 4) v.setUint32(f.offset, Number(value), true);
    else v.setUint8(f.offset, Number(value));
  }
}

/** The sk_lookup run in progress: what bpf_sk_assign selects into. */
export interface SkLookupRun {
  /** The address of the struct bpf_sk_lookup the program reads. */
  ctx: number;
  family: number;
  protocol: number;
  selected: Sock | undefined;
  noReuseport: boolean;
}

/** The sockets of one runtime, and the state of the run that uses them. */
export class SocketTable implements SocketResolver {
  private readonly socks: Sock[] = [];
  private readonly byAddress = new Map<number, { sock: Sock; tcp: boolean }>();
  /** The sk_lookup test run in progress, if any. */
  lookupRun: SkLookupRun | undefined;
  /** Cookies given on first use to sockets made without one (the test run's), and the last one given. */
  private readonly generated = new WeakMap<Sock, bigint>();
  private lastCookie = 0n;

  constructor(private readonly space: AddressSpace, specs: Iterable<SocketSpec> = []) {
    for (const spec of specs) this.add(spec);
  }

  /** The described sockets, in the order given. */
  list(): readonly Sock[] {
    return this.socks.filter((s) => s.hashed);
  }

  /** Describe one more socket; throws SocketSpecError for a bad description. */
  add(spec: SocketSpec): Sock {
    const where = `socket ${this.list().length}`;
    const r = resolveSpec(spec, where);
    const taken = new Set(this.list().map((s) => s.cookie));
    let cookie = r.cookie ?? BigInt(this.list().length + 1);
    if (r.cookie === undefined) while (taken.has(cookie)) cookie++;
    if (taken.has(cookie)) fail(where, `cookie ${cookie} is another socket's`);
    return this.place({ ...r, cookie, hashed: true });
  }

  /**
   * The socket BPF_PROG_TEST_RUN gives an skb (skb->sk): a socket of no type
   * or protocol in state TCP_CLOSE, of the packet's family, its addresses
   * taken from the IP header (local the source). Release it after the run.
   */
  testRunSocket(frame: Uint8Array): Sock {
    const proto = (frame[ETH_HLEN - 2] << 8) | frame[ETH_HLEN - 1];
    const ip = frame.subarray(ETH_HLEN);
    const local = new Uint8Array(16), remote = new Uint8Array(16);
    let family = AF_UNSPEC;
    if (proto === 0x0800) {
      family = AF_INET;
      if (ip.length >= 20) { local.set(ip.subarray(12, 16)); remote.set(ip.subarray(16, 20)); }
    } else if (proto === 0x86dd) {
      family = AF_INET6;
      if (ip.length >= 40) { local.set(ip.subarray(8, 24)); remote.set(ip.subarray(24, 40)); }
    }
    const spec: SocketSpec = { protocol: 'tcp', localIp: '0.0.0.0', localPort: 0 };
    return this.place({ spec, family, protocol: 0, state: TCP_CLOSE, local, remote, cookie: 0n, hashed: false }, 0);
  }

  /** Told the address of each socket that goes away (sk_destruct), for the storages kept with sockets. */
  onRelease: ((address: number) => void) | undefined;

  /** Forget a socket made by testRunSocket. */
  releaseTestRunSocket(sock: Sock): void {
    this.onRelease?.(sock.address);
    this.byAddress.delete(sock.address);
    this.byAddress.delete(sock.tcpAddress);
    this.byAddress.delete(sock.kernelAddress);
    this.socks.splice(this.socks.indexOf(sock), 1);
    this.space.release(sock.region);
    this.space.release(sock.kernelRegion);
  }

  /** sock_map_sk_state_allowed: TCP sockets established or listening, UDP sockets; 0 for another state. */
  sockmapAddress(cookie: bigint): number | undefined {
    const s = this.list().find((x) => x.cookie === cookie);
    if (!s) return undefined;
    const allowed = s.protocol === IPPROTO_UDP || s.state === TCP_ESTABLISHED || s.state === TCP_LISTEN;
    return allowed ? s.address : 0;
  }

  sockAddress(cookie: bigint): number | undefined {
    const s = this.list().find((x) => x.cookie === cookie);
    return s && SocketTable.fullsock(s) ? s.address : undefined;
  }

  /**
   * sock_gen_cookie: the socket's cookie. A socket made without one (the
   * test run's) gets the next of the table's counter on first use, as the
   * kernel's sockets take the next of its global counter, and keeps it;
   * the kernel's struct sock then holds it too.
   */
  cookieOf(sock: Sock): bigint {
    if (sock.cookie) return sock.cookie;
    let cookie = this.generated.get(sock);
    if (cookie === undefined) {
      cookie = this.socks.reduce((top, s) => (s.cookie > top ? s.cookie : top), this.lastCookie) + 1n;
      this.lastCookie = cookie;
      this.generated.set(sock, cookie);
      this.space.view.setBigUint64(sock.kernelAddress + KSK.skc_cookie.offset, cookie, true);
    }
    return cookie;
  }

  cookieAt(address: number): bigint {
    return this.byAddress.get(address)?.sock.cookie ?? 0n;
  }

  acquire(address: number): void {
    const found = this.byAddress.get(address);
    if (found) found.sock.held++;
  }

  /** The socket a socket or tcp_sock pointer points to, and which of the two it is. */
  resolve(addr: bigint): { sock: Sock; tcp: boolean } | undefined {
    return addr > 0n && addr < 0x100000000n ? this.byAddress.get(Number(addr)) : undefined;
  }

  private place(s: Omit<Sock, 'region' | 'address' | 'tcpAddress' | 'kernelAddress' | 'kernelRegion' | 'held'>, type = s.protocol === IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM): Sock {
    const region = this.space.alloc(`sock:${s.cookie}`, SOCK_SIZE + SIZEOF_BPF_TCP_SOCK, 'data', false);
    const struct = kernelStruct(s);
    const kernelRegion = this.space.alloc(`sock:${s.cookie}:${struct}`, SOCK_BTF_SIZES[struct], 'data', false);
    const sock: Sock = {
      ...s, region, address: region.start, tcpAddress: region.start + SOCK_SIZE, kernelRegion, kernelAddress: kernelRegion.start, held: 0,
    };
    const b = this.space.bytes;
    const v = new DataView(b.buffer, b.byteOffset + region.start, region.size);
    const { spec } = s;
    v.setUint32(SK.boundDevIf, spec.boundDevIf ?? 0, true);
    v.setUint32(SK.family, s.family, true);
    v.setUint32(SK.type, type, true);
    v.setUint32(SK.protocol, s.protocol, true);
    v.setUint32(SK.mark, spec.mark ?? 0, true);
    v.setUint32(SK.priority, spec.priority ?? 0, true);
    const bytes = new Uint8Array(b.buffer, b.byteOffset + region.start, region.size);
    if (s.family === AF_INET6) {
      bytes.set(s.local, SK.srcIp6);
      bytes.set(s.remote, SK.dstIp6);
      bytes.set(ipv4Of(s.local), SK.srcIp4);
      bytes.set(ipv4Of(s.remote), SK.dstIp4);
    } else {
      bytes.set(s.local.subarray(0, 4), SK.srcIp4);
      bytes.set(s.remote.subarray(0, 4), SK.dstIp4);
      // TCP's connect and accept set the addresses with sk_rcv_saddr_set / sk_daddr_set, which also write
      // their v4-mapped IPv6 forms; bind and UDP's connect do not.
      if (s.hashed && spec.remotePort && s.protocol === IPPROTO_TCP) {
        bytes.set(V4_MAPPED, SK.srcIp6);
        bytes.set(s.local.subarray(0, 4), SK.srcIp6 + 12);
        bytes.set(V4_MAPPED, SK.dstIp6);
        bytes.set(s.remote.subarray(0, 4), SK.dstIp6 + 12);
      }
    }
    v.setUint32(SK.srcPort, spec.localPort, true);
    // dst_port is a __be16 followed by 16 zero bits.
    v.setUint16(SK.dstPort, spec.remotePort ?? 0, false);
    v.setUint32(SK.state, s.state, true);
    v.setInt32(SK.rxQueueMapping, spec.rxQueueMapping ?? -1, true);
    if (s.protocol === IPPROTO_TCP && s.hashed) {
      TCP_SOCK_FIELDS.forEach((name, i) => {
        const value = spec.tcp?.[name] ?? TCP_SOCK_DEFAULTS[name] ?? 0;
        const at = SOCK_SIZE + (i < 20 ? 4 * i : i < 22 ? 80 + 8 * (i - 20) : 96 + 4 * (i - 22));
        if (TCP_U64.has(name)) v.setBigUint64(at, BigInt(value), true);
        else v.setUint32(at, Number(value), true);
      });
    }
    layKernelSock(sock, type, new DataView(b.buffer, b.byteOffset + kernelRegion.start, kernelRegion.size), bytes);
    this.socks.push(sock);
    this.byAddress.set(sock.address, { sock, tcp: false });
    this.byAddress.set(sock.tcpAddress, { sock, tcp: true });
    this.byAddress.set(sock.kernelAddress, { sock, tcp: false });
    return sock;
  }

  /** sk_fullsock: not a request or timewait mini-socket. */
  static fullsock(s: Sock): boolean {
    return s.state !== TCP_TIME_WAIT && s.state !== TCP_NEW_SYN_RECV;
  }

  /** sk_to_full_sk, then sk_fullsock: the full socket `s` stands for, or undefined (a timewait socket, a request socket without its listener). */
  fullSk(s: Sock): Sock | undefined {
    const full = this.toFullSk(s);
    return full && SocketTable.fullsock(full) ? full : undefined;
  }

  /** sk_to_full_sk: a request socket stands for its listener (undefined when the table has none). */
  toFullSk(s: Sock): Sock | undefined {
    if (s.state !== TCP_NEW_SYN_RECV) return s;
    return this.candidates(s.family, IPPROTO_TCP, s.spec.netns, s.local, s.spec.localPort, 0).flat().find((c) => c.state === TCP_LISTEN);
  }

  /** Sockets bound to port `dport` that may take a packet for `daddr`: those bound to that address, and those bound to every address. */
  private candidates(family: number, protocol: number, netns: number | undefined, daddr: Uint8Array, dport: number, ifindex: number): [Sock[], Sock[]] {
    const exact: Sock[] = [], wild: Sock[] = [];
    for (const s of this.list()) {
      if (s.protocol !== protocol || s.spec.netns !== netns || s.spec.localPort !== dport) continue;
      if (s.spec.boundDevIf && s.spec.boundDevIf !== ifindex) continue;
      const addr = localFor(s, family);
      if (!addr) continue;
      if (equal(addr, daddr, family)) exact.push(s);
      else if (addr.every((b) => b === 0)) wild.push(s);
    }
    return [exact, wild];
  }

  /**
   * `__bpf_skc_lookup`'s search in one namespace: the socket for a packet
   * from `saddr`:`sport` to `daddr`:`dport` (ports in host order), or undefined.
   */
  lookup(family: number, protocol: number, netns: number | undefined, saddr: Uint8Array, sport: number, daddr: Uint8Array, dport: number, ifindex: number): Sock | undefined {
    const [exact, wild] = this.candidates(family, protocol, netns, daddr, dport, ifindex);
    const connected = (s: Sock) => {
      const r = remoteFor(s, family);
      return r !== undefined && s.spec.remotePort === sport && equal(r, saddr, family);
    };
    if (protocol === IPPROTO_TCP) {
      // The established hash: every state but listen (and close) is keyed by its four-tuple.
      const est = exact.find((s) => s.state !== TCP_LISTEN && s.state !== TCP_CLOSE && connected(s));
      if (est) return est;
      // compute_score of a listener: a bound device 2 (else 1), the lookup's family 1.
      const listener = (s: Sock) => (s.state === TCP_LISTEN ? (s.spec.boundDevIf ? 2 : 1) + (s.family === family ? 1 : 0) : 0);
      return best(exact, listener) ?? best(wild, listener);
    }
    // compute_score of UDP: a connected peer must match and scores 4 per part, a bound device 4, the family 1.
    const udp = (s: Sock) => (s.spec.remotePort && !connected(s) ? 0 : 1 + (s.spec.remotePort ? 8 : 0) + (s.spec.boundDevIf ? 4 : 0) + (s.family === family ? 1 : 0));
    return best(exact, udp) ?? best(wild, udp);
  }
}

/**
 * The highest-scoring socket (score 0: not a candidate), the first of equal
 * ones. The kernel searches the sockets bound to the packet's address before
 * those bound to every address, and takes the best of the first search that
 * finds one.
 */
function best(list: readonly Sock[], score: (s: Sock) => number): Sock | undefined {
  let top: Sock | undefined;
  let topScore = 0;
  for (const s of list) {
    const n = score(s);
    if (n > topScore) {
      top = s;
      topScore = n;
    }
  }
  return top;
}

/** A socket's local address as a lookup of `family` compares it (IPv4 lookups reach dual-stack IPv6 sockets through v4-mapped addresses). */
function localFor(s: Sock, family: number): Uint8Array | undefined {
  return addrFor(s, s.local, family);
}

function remoteFor(s: Sock, family: number): Uint8Array | undefined {
  return addrFor(s, s.remote, family);
}

const V4_MAPPED = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);

function addrFor(s: Sock, addr: Uint8Array, family: number): Uint8Array | undefined {
  if (s.family === family) return addr;
  if (family !== AF_INET || s.family !== AF_INET6 || s.spec.v6only) return undefined;
  if (addr.every((b) => b === 0)) return addr;
  return V4_MAPPED.every((b, i) => addr[i] === b) ? addr.subarray(12, 16) : undefined;
}

/** LOOPBACK4_IPV6, 127.0.0.6: the IPv4 address an IPv6 socket keeps for an address that has no IPv4 form. */
const LOOPBACK4_IPV6 = Uint8Array.from([127, 0, 0, 6]);

/** The IPv4 address of an IPv6 socket (inet_rcv_saddr, inet_daddr): of a v4-mapped address its IPv4 part, of `::` none. */
function ipv4Of(addr: Uint8Array): Uint8Array {
  if (addr.every((b) => b === 0)) return new Uint8Array(4);
  return V4_MAPPED.every((b, i) => addr[i] === b) ? addr.subarray(12, 16) : LOOPBACK4_IPV6;
}

const equal = (a: Uint8Array, b: Uint8Array, family: number): boolean => {
  const n = family === AF_INET ? 4 : 16;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
};

/** sizeof(struct bpf_sock_tuple.ipv4) and .ipv6. */
const TUPLE_V4 = 12, TUPLE_V6 = 36;
/** BPF_F_CURRENT_NETNS and the largest namespace id. */
const S32_MAX = 0x7fffffffn;
const LOOPBACK_IFINDEX = 1;
const BPF_SK_LOOKUP_F_REPLACE = 1n, BPF_SK_LOOKUP_F_NO_REUSEPORT = 2n;
const id = (name: string): number => helperIdByName(name)!;
const SKB_SK = TC_CTX.fields.find((f) => f.name === 'sk')!.offset;
const SK_LOOKUP_SK = SK_LOOKUP_CTX.fields.find((f) => f.name === 'sk')!.offset;

/** A socket argument: a socket or tcp_sock pointer of the table (a clear error for anything else, as only an unverified program passes one). */
function sockArg(table: SocketTable, helper: string, addr: bigint): { sock: Sock; tcp: boolean } {
  const found = table.resolve(addr);
  if (!found) throw new RuntimeError(`${helper}: 0x${addr.toString(16)} is not a socket of this runtime`);
  return found;
}

/**
 * `__bpf_skc_lookup`: the tuple's size picks the family (anything else:
 * NULL); flags must be 0 and netns_id either negative as an s32 (the
 * caller's namespace, BPF_F_CURRENT_NETNS) or a namespace id up to S32_MAX.
 */
function skcLookup(table: SocketTable, ctx: HelperContext, helper: string, protocol: number, tuple: bigint, len: bigint, netnsId: bigint, flags: bigint): Sock | undefined {
  const family = len === BigInt(TUPLE_V4) ? AF_INET : len === BigInt(TUPLE_V6) ? AF_INET6 : undefined;
  if (family === undefined) return undefined;
  if (flags !== 0n) return undefined;
  const current = BigInt.asIntN(32, netnsId) < 0n;
  if (!current && netnsId > S32_MAX) return undefined;
  const size = Number(len);
  const at = argAccess(ctx, `${helper}: r2 (tuple)`, tuple, size, false);
  const t = ctx.space.bytes.subarray(at, at + size);
  const n = family === AF_INET ? 4 : 16;
  const ports = new DataView(t.buffer, t.byteOffset + 2 * n, 4);
  return table.lookup(family, protocol, current ? undefined : Number(netnsId), t.subarray(0, n), ports.getUint16(0, false), t.subarray(n, 2 * n), ports.getUint16(2, false), LOOPBACK_IFINDEX);
}

/** `bpf_sk_lookup`: a full socket, or NULL (a request socket stands for its listener, a timewait socket for nothing). */
function skLookup(table: SocketTable, ctx: HelperContext, helper: string, protocol: number, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint {
  const found = skcLookup(table, ctx, helper, protocol, r2, r3, r4, r5);
  const full = found && table.toFullSk(found);
  if (!full || !SocketTable.fullsock(full)) return 0n;
  full.held++;
  return BigInt(full.address);
}

function view(ctx: HelperContext): DataView {
  const b = ctx.space.bytes;
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** bpf_sk_assign in tc (`bpf_sk_assign`): steer the skb to `sk` at ingress. */
function tcSkAssign(table: SocketTable, packets: PacketRuns, ctx: HelperContext, r1: bigint, r2: bigint, r3: bigint): bigint {
  const frame = packets.current;
  if (!frame || frame.kind !== 'skb' || BigInt(frame.ctx) !== r1) throw new RuntimeError(`bpf_sk_assign: 0x${r1.toString(16)} is not the context of the running program`);
  if (r2 === 0n || r3 !== 0n) return helperErr('EINVAL');
  const { sock } = sockArg(table, 'bpf_sk_assign', r2);
  // A test run's skb did not come in through a device's ingress: the kernel says EOPNOTSUPP there too.
  if (!frame.tcIngress) return helperErr('EOPNOTSUPP');
  if (sock.spec.netns !== undefined) return helperErr('ENETUNREACH');
  if (!sock.hashed) return helperErr('EOPNOTSUPP');
  view(ctx).setBigUint64(frame.ctx + SKB_SK, BigInt(sock.address), true);
  return 0n;
}

/** bpf_sk_assign in sk_lookup (`bpf_sk_lookup_assign`): select the socket (or none) the lookup answers with. */
function skLookupAssign(table: SocketTable, ctx: HelperContext, run: SkLookupRun, r2: bigint, r3: bigint): bigint {
  if (r3 & ~(BPF_SK_LOOKUP_F_REPLACE | BPF_SK_LOOKUP_F_NO_REUSEPORT)) return helperErr('EINVAL');
  const sock = r2 === 0n ? undefined : sockArg(table, 'bpf_sk_assign', r2).sock;
  if (sock) {
    // sk_is_refcounted: only sockets freed by RCU (listeners, UDP) may be selected without a reference.
    if (!SocketTable.fullsock(sock) || (sock.protocol === IPPROTO_TCP && sock.state !== TCP_LISTEN)) return helperErr('ESOCKTNOSUPPORT');
    if (sock.protocol === IPPROTO_UDP && sock.state !== TCP_CLOSE) return helperErr('ESOCKTNOSUPPORT');
    if (sock.protocol !== run.protocol) return helperErr('EPROTOTYPE');
    if (sock.family !== run.family && (sock.family === AF_INET || sock.spec.v6only)) return helperErr('EAFNOSUPPORT');
  }
  if (run.selected && !(r3 & BPF_SK_LOOKUP_F_REPLACE)) return helperErr('EEXIST');
  run.selected = sock;
  run.noReuseport = (r3 & BPF_SK_LOOKUP_F_NO_REUSEPORT) !== 0n;
  view(ctx).setBigUint64(run.ctx + SK_LOOKUP_SK, BigInt(sock?.address ?? 0), true);
  return 0n;
}

/**
 * The bpf_skc_to_* casts (net/core/filter.c): which sockets each one takes.
 * There are no AF_UNIX sockets in a table, and no MPTCP subflows.
 */
const SKC_CASTS: ReadonlyArray<readonly [string, (s: Sock) => boolean]> = [
  ['skc_to_tcp_sock', (s) => SocketTable.fullsock(s) && s.protocol === IPPROTO_TCP],
  ['skc_to_tcp6_sock', (s) => SocketTable.fullsock(s) && s.protocol === IPPROTO_TCP && s.family === AF_INET6],
  ['skc_to_udp6_sock', (s) => SocketTable.fullsock(s) && s.protocol === IPPROTO_UDP && s.family === AF_INET6],
  ['skc_to_tcp_timewait_sock', (s) => s.protocol === IPPROTO_TCP && s.state === TCP_TIME_WAIT],
  ['skc_to_tcp_request_sock', (s) => s.protocol === IPPROTO_TCP && s.state === TCP_NEW_SYN_RECV],
  ['skc_to_unix_sock', () => false],
  ['skc_to_mptcp_sock', () => false],
];

/**
 * bpf_sk_lookup_tcp, bpf_sk_lookup_udp, bpf_skc_lookup_tcp, bpf_sk_release,
 * bpf_sk_fullsock, bpf_tcp_sock, bpf_get_listener_sock, the bpf_skc_to_* casts and bpf_sk_assign,
 * on the sockets of `table`; bpf_sk_assign acts on the packet of `packets`
 * in tc, on the table's sk_lookup run in sk_lookup programs. With them the
 * helpers that report a socket's identities (sock-id.ts: cookies, uid, cgroup ids).
 */
export function socketHelpers(table: SocketTable, packets: PacketRuns): HelperDef[] {
  return [
    { id: id('sk_lookup_tcp'), name: 'bpf_sk_lookup_tcp', fn: (ctx, _r1, r2, r3, r4, r5) => skLookup(table, ctx, 'bpf_sk_lookup_tcp', IPPROTO_TCP, r2, r3, r4, r5) },
    { id: id('sk_lookup_udp'), name: 'bpf_sk_lookup_udp', fn: (ctx, _r1, r2, r3, r4, r5) => skLookup(table, ctx, 'bpf_sk_lookup_udp', IPPROTO_UDP, r2, r3, r4, r5) },
    {
      id: id('skc_lookup_tcp'), name: 'bpf_skc_lookup_tcp',
      fn: (ctx, _r1, r2, r3, r4, r5) => {
        const sock = skcLookup(table, ctx, 'bpf_skc_lookup_tcp', IPPROTO_TCP, r2, r3, r4, r5);
        if (!sock) return 0n;
        sock.held++;
        return BigInt(sock.address);
      },
    },
    {
      id: id('sk_release'), name: 'bpf_sk_release',
      fn: (_ctx, r1) => {
        const { sock } = sockArg(table, 'bpf_sk_release', r1);
        if (sock.held === 0) throw new RuntimeError(`bpf_sk_release: the program holds no reference to socket ${sock.cookie}`);
        sock.held--;
        return 0n;
      },
    },
    {
      id: id('sk_fullsock'), name: 'bpf_sk_fullsock',
      fn: (_ctx, r1) => {
        const { sock } = sockArg(table, 'bpf_sk_fullsock', r1);
        return SocketTable.fullsock(sock) ? BigInt(sock.address) : 0n;
      },
    },
    {
      id: id('tcp_sock'), name: 'bpf_tcp_sock',
      fn: (_ctx, r1) => {
        const full = table.toFullSk(sockArg(table, 'bpf_tcp_sock', r1).sock);
        return full && SocketTable.fullsock(full) && full.protocol === IPPROTO_TCP ? BigInt(full.tcpAddress) : 0n;
      },
    },
    {
      id: id('get_listener_sock'), name: 'bpf_get_listener_sock',
      fn: (_ctx, r1) => {
        const full = table.toFullSk(sockArg(table, 'bpf_get_listener_sock', r1).sock);
        return full && full.protocol === IPPROTO_TCP && full.state === TCP_LISTEN ? BigInt(full.address) : 0n;
      },
    },
    ...SKC_CASTS.map(([helper, is]): HelperDef => ({
      id: id(helper), name: `bpf_${helper}`,
      fn: (_ctx, r1) => {
        const { sock } = sockArg(table, `bpf_${helper}`, r1);
        return is(sock) ? BigInt(sock.kernelAddress) : 0n;
      },
    })),
    {
      id: id('sk_assign'), name: 'bpf_sk_assign',
      fn: (ctx, r1, r2, r3) => {
        const run = table.lookupRun;
        if (run && BigInt(run.ctx) === r1) return skLookupAssign(table, ctx, run, r2, r3);
        return tcSkAssign(table, packets, ctx, r1, r2, r3);
      },
    },
    ...socketIdHelpers(table, packets),
  ];
}

const SPEC_NUMBERS = ['boundDevIf', 'mark', 'priority', 'rxQueueMapping', 'netns', 'uid'] as const;

/**
 * A socket from one line of text, as `ebpf run --socket` takes it:
 * `PROTO LOCAL [REMOTE] [STATE] [key=value…] [reuseport] [v6only]`, where
 * LOCAL and REMOTE are `ADDR:PORT` (`[ADDR]:PORT` for IPv6), the keys are
 * SocketSpec's (`mark=5`, `boundDevIf=1`, `netns=3`, `cookie=9`, `uid=1000`…),
 * `cgroup=1/42/97` gives the cgroup path (ids from the root down) and
 * `tcp.NAME=N` sets a struct bpf_tcp_sock value:
 * `tcp 127.0.0.1:8080`, `tcp 10.0.0.1:80 10.0.0.2:40000 established mark=7`,
 * `udp [::1]:53 v6only`. The table checks the result (SocketSpecError).
 */
export function parseSocketSpec(text: string): SocketSpec {
  const where = `socket '${text}'`;
  const words = text.trim().split(/\s+/);
  const protocol = words.shift();
  if (protocol !== 'tcp' && protocol !== 'udp') return fail(where, `starts with its protocol, tcp or udp, not '${protocol ?? ''}'`);
  const endpoint = (w: string): { ip: string; port: number } | undefined => {
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(w);
    return m ? { ip: m[1] ?? m[2], port: Number(m[3]) } : undefined;
  };
  const local = endpoint(words.shift() ?? '');
  if (!local) return fail(where, 'needs its local address as ADDR:PORT ([ADDR]:PORT for IPv6) after the protocol');
  const spec: SocketSpec = { protocol, localIp: local.ip, localPort: local.port };
  const tcp: Record<string, number | bigint> = {};
  for (const w of words) {
    const remote = endpoint(w);
    const kv = /^([\w.]+)=(\S+)$/.exec(w);
    if (remote && spec.remoteIp === undefined) {
      spec.remoteIp = remote.ip;
      spec.remotePort = remote.port;
    } else if (Object.hasOwn(TCP_STATES, w)) {
      spec.state = w as SocketState;
    } else if (w === 'reuseport' || w === 'v6only') {
      spec[w] = true;
    } else if (kv) {
      const [, key, value] = kv;
      if (key === 'cgroup') {
        if (!/^\d+(\/\d+)*$/.test(value)) fail(where, `cgroup=${value}: the value is the cgroup ids from the root down, joined by /`);
        spec.cgroup = value.split('/').map(BigInt);
        continue;
      }
      if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(value)) fail(where, `${key}=${value}: the value is not an integer`);
      const n = BigInt(value);
      if (key.startsWith('tcp.')) tcp[key.slice(4)] = n <= 0xffffffffn ? Number(n) : n;
      else if (key === 'cookie') spec.cookie = n;
      else if ((SPEC_NUMBERS as readonly string[]).includes(key)) spec[key as (typeof SPEC_NUMBERS)[number]] = Number(n);
      else fail(where, `unknown key '${key}' (known: ${[...SPEC_NUMBERS, 'cookie', 'cgroup', 'tcp.NAME'].join(', ')})`);
    } else {
      fail(where, `'${w}' is neither a remote ADDR:PORT, a state (${Object.keys(TCP_STATES).join(', ')}), key=value, reuseport nor v6only`);
    }
  }
  if (Object.keys(tcp).length) spec.tcp = tcp;
  return spec;
}
