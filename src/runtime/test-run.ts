/**
 * BPF_PROG_TEST_RUN on our engines, per program type, as net/bpf/test_run.c
 * does it: what ctx_in and data_in may hold (and the errno when they may
 * not), how the packet and the context are laid out in memory before the
 * run, and what comes back in data_out and ctx_out.
 *
 *  - xdp: one 4096-byte frame; 256 bytes of headroom (less the metadata
 *    ctx_in.data asks for), the packet, and the skb_shared_info tailroom;
 *    what does not fit goes to page-sized fragments (multi-buffer XDP, which
 *    only helpers reach); xdp_md holds 32-bit addresses. data_out is
 *    data_meta..data_end, then the fragments.
 *  - sched_cls / sched_act: __sk_buff, data at the MAC header.
 *    socket_filter / cgroup_skb: data after the MAC header (the kernel pulled
 *    it with eth_type_trans); data_out gets the 14-byte MAC header back as zeros.
 *  - raw_tracepoint: ctx_in is up to 12 u64 arguments. syscall: ctx_in is
 *    the caller's memory, copied back after the run.
 *  - kprobe, tracepoint, perf_event: the kernel has no test run for them
 *    (ENOTSUPP); here ctx_in is the pt_regs, the raw record or the
 *    bpf_perf_event_data the program reads, so they can be tested too.
 */
import type { AddressSpace, Region } from '../memory/index.js';
import { BPF_ATTACH_TYPE, BPF_PROG_TYPE, PlatformError, SK_LOOKUP_CTX, TC_CTX, XDP_CTX, programType, type ContextSpec, type CtxField } from '../platform/index.js';
import {
  CHECKSUM_NONE, ETH_HLEN, ETH_P_IP, ETH_P_IPV6, IPV4_HLEN, IPV6_HLEN, LOOPBACK_IFINDEX, XDP_FRAG_SIZE, XDP_FRAME_SIZE, XDP_META_MAX, XDP_TAILROOM, syncContext,
  type PacketFrame, type PacketRuns,
} from '../helpers/packet.js';
import type { HelperContext, SentSignal } from '../helpers/index.js';
import { AF_INET, AF_INET6, type SkLookupRun, type SocketTable } from '../helpers/sock.js';
import { TestRunError, type TestRunErrno } from './errors.js';

export interface TestRunOptions {
  /** data_in: the packet. */
  data?: Uint8Array;
  /** ctx_in: the context struct (xdp_md, __sk_buff, raw tracepoint arguments…). */
  ctx?: Uint8Array;
  /** Runs on the same input (0 or absent: once). */
  repeat?: number;
  flags?: number;
}

export interface TestRunResult {
  /** The program's return value as BPF_PROG_TEST_RUN gives it: r0's low 32 bits. */
  retval: number;
  dataOut: Uint8Array;
  ctxOut: Uint8Array;
  /** Mean duration of one run in nanoseconds (wall time on our engines, the kernel's own figure there). */
  durationNs: number;
  /** Our engines: the signals the program sent to the current task (bpf_send_signal, bpf_send_signal_thread), when it sent any. */
  signals?: SentSignal[];
  /** Our engines, kprobe programs: the value bpf_override_return made the probed function return, when the program called it. */
  overrideReturn?: bigint;
}

/** What the engine needs for a run, and how to collect its outputs afterwards. */
export interface PreparedRun {
  r1: bigint;
  /** The bytes LD_ABS / LD_IND read (skb types). */
  packet?: { data: number; dataEnd: number };
  frame?: PacketFrame;
  repeat: number;
  /** Called before each of the `repeat` runs, for types whose runs start from a clean state (sk_lookup's selection). */
  reset?(): void;
  /** The outputs, given the last run's r0; `retval` when the type's test run does not return r0 itself (sk_lookup). */
  finish(r0: bigint): { dataOut: Uint8Array; ctxOut: Uint8Array; retval?: number };
  release(): void;
}

/** BPF_F_TEST_XDP_LIVE_FRAMES. */
const BPF_F_TEST_XDP_LIVE_FRAMES = 1 << 1;
const PAGE_SIZE = 4096;
const XDP_PACKET_HEADROOM = 256;
/** NET_SKB_PAD + NET_IP_ALIGN on x86-64. */
const SKB_HEADROOM = 64;
const GSO_LEGACY_MAX_SIZE = 65536;
const GSO_MAX_SEGS = 65535;
const MAX_RAW_TP_CTX = 12 * 8;
const U16_MAX = 0xffff;
/** MAX_SKB_FRAGS: the fragments of one multi-buffer frame. */
const MAX_SKB_FRAGS = 17;

/** A context field's offset, from src/platform's description of the struct. */
function field(ctx: ContextSpec, name: string): CtxField {
  const f = ctx.fields.find((x) => x.name === name);
  if (!f) throw new PlatformError(`${ctx.struct} has no field ${name}`);
  return f;
}
const skb = (name: string) => field(TC_CTX, name).offset;
/** __sk_buff fields. */
const SKB = {
  len: skb('len'), pktType: skb('pkt_type'), mark: skb('mark'), protocol: skb('protocol'), priority: skb('priority'),
  ingressIfindex: skb('ingress_ifindex'), ifindex: skb('ifindex'), cb: skb('cb'), cbEnd: skb('cb') + field(TC_CTX, 'cb').size,
  dataEnd: skb('data_end'), dataMeta: skb('data_meta'), tstamp: skb('tstamp'), wireLen: skb('wire_len'),
  gsoSegs: skb('gso_segs'), gsoSize: skb('gso_size'), hwtstamp: skb('hwtstamp'), sk: skb('sk'),
} as const;
const SKB_SIZE = TC_CTX.size;
const xdp = (name: string) => field(XDP_CTX, name).offset;
/** xdp_md fields. */
const XDP = {
  data: xdp('data'), dataEnd: xdp('data_end'), dataMeta: xdp('data_meta'), ingressIfindex: xdp('ingress_ifindex'),
  rxQueueIndex: xdp('rx_queue_index'), egressIfindex: xdp('egress_ifindex'),
} as const;
const XDP_MD_SIZE = XDP_CTX.size;

interface RunInput {
  program: string;
  type: number;
  /** expected_attach_type of the load. */
  attachType: number;
  space: AddressSpace;
  helpers: HelperContext;
  packets: PacketRuns;
  /** The runtime's sockets: skb->sk of an skb run, the sockets an sk_lookup program selects from. */
  sockets?: SocketTable;
  options: TestRunOptions;
}

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function refuse(input: RunInput, errno: TestRunErrno, why: string): never {
  throw new TestRunError(errno, input.program, why);
}

/** bpf_ctx_init: ctx_in up to `size` bytes, the rest zero; bytes past the struct must be zero (E2BIG). */
function ctxInit(input: RunInput, size: number): Uint8Array | undefined {
  const ctx = input.options.ctx;
  if (!ctx || ctx.length === 0) return undefined;
  if (ctx.length > size && ctx.subarray(size).some((b) => b !== 0)) refuse(input, 'E2BIG', `ctx_in has non-zero bytes past the ${size} bytes of the context`);
  const out = new Uint8Array(size);
  out.set(ctx.subarray(0, size));
  return out;
}

function repeatOf(input: RunInput): number {
  const r = input.options.repeat ?? 0;
  if (!Number.isInteger(r) || r < 0 || r > 0xffffffff) refuse(input, 'EINVAL', `repeat must be an unsigned 32-bit integer, got ${r}`);
  return Math.max(1, r);
}

function allocate(input: RunInput, name: string, size: number, kind: 'packet' | 'ctx', writable: boolean): Region {
  return input.space.alloc(`${name}:${input.program}`, Math.max(size, 1), kind, writable);
}

function prepareXdp(input: RunInput): PreparedRun {
  const { options, space } = input;
  if (input.attachType === BPF_ATTACH_TYPE.XDP_DEVMAP || input.attachType === BPF_ATTACH_TYPE.XDP_CPUMAP) {
    refuse(input, 'EINVAL', 'devmap and cpumap programs run on redirected frames, not on a test run');
  }
  if ((options.flags ?? 0) & ~BPF_F_TEST_XDP_LIVE_FRAMES) refuse(input, 'EINVAL', `flags 0x${(options.flags ?? 0).toString(16)} are not test-run flags of xdp`);
  if ((options.flags ?? 0) & BPF_F_TEST_XDP_LIVE_FRAMES) refuse(input, 'ENOTSUPP', 'BPF_F_TEST_XDP_LIVE_FRAMES sends packets out of a device; a runtime has none');
  const data = options.data ?? new Uint8Array();
  const size = data.length;
  const md = ctxInit(input, XDP_MD_SIZE);
  const m = md ? dv(md) : undefined;
  let headroom = XDP_PACKET_HEADROOM;
  let metalen = 0;
  // ctx_in.data_end says how much of data_in is the linear part (metadata included); the rest becomes fragments.
  let linearWanted = size;
  if (m) {
    metalen = m.getUint32(XDP.data, true);
    linearWanted = m.getUint32(XDP.dataEnd, true);
    if (m.getUint32(XDP.dataMeta, true) !== 0) refuse(input, 'EINVAL', 'ctx_in.data_meta must be 0 (metadata starts the packet)');
    if (linearWanted > size) refuse(input, 'EINVAL', `ctx_in.data_end ${linearWanted} is past the packet's ${size} bytes`);
    if (metalen > linearWanted) refuse(input, 'EINVAL', 'ctx_in.data (the metadata length) is past data_end');
    if (metalen & 3 || metalen > XDP_META_MAX) refuse(input, 'EINVAL', `ctx_in.data: metadata of ${metalen} bytes is not a multiple of 4 up to ${XDP_META_MAX}`);
    if (XDP_PACKET_HEADROOM - metalen < XDP_FRAME_SIZE) refuse(input, 'EINVAL', `ctx_in.data: ${metalen} bytes of metadata leave less than the ${XDP_FRAME_SIZE} bytes of xdp_frame in the headroom`);
    headroom -= metalen;
  }
  if (size - metalen < ETH_HLEN) refuse(input, 'EINVAL', `the packet after its metadata must be at least ETH_HLEN (${ETH_HLEN}) bytes, got ${size - metalen}`);
  // What does not fit the linear part goes to fragments of a page each, as the kernel builds a multi-buffer frame.
  const linear = Math.min(linearWanted, PAGE_SIZE - headroom - XDP_TAILROOM);
  const fragCount = Math.ceil((size - linear) / XDP_FRAG_SIZE);
  if (fragCount > MAX_SKB_FRAGS) refuse(input, 'ENOMEM', `a ${size}-byte packet needs more than ${MAX_SKB_FRAGS} fragments`);
  let ingress = 0, rxQueue = 0;
  if (m) {
    if (m.getUint32(XDP.egressIfindex, true) !== 0) refuse(input, 'EINVAL', 'ctx_in.egress_ifindex must be 0');
    ingress = m.getUint32(XDP.ingressIfindex, true);
    rxQueue = m.getUint32(XDP.rxQueueIndex, true);
    if (!ingress && rxQueue) refuse(input, 'EINVAL', 'ctx_in.rx_queue_index needs an ingress_ifindex');
    if (ingress && ingress !== LOOPBACK_IFINDEX) refuse(input, 'ENODEV', `no device with ifindex ${ingress} (the runtime's only device is lo, ifindex 1)`);
    if (ingress && rxQueue >= 1) refuse(input, 'EINVAL', `rx_queue_index ${rxQueue} is past lo's one receive queue`);
  }
  const buffer = allocate(input, 'xdp-frame', PAGE_SIZE, 'packet', true);
  const ctxRegion = allocate(input, 'xdp_md', XDP_MD_SIZE, 'ctx', false);
  const metaAt = buffer.start + headroom;
  space.write(metaAt, data.subarray(0, linear));
  const frags = Array.from({ length: fragCount }, (_, i) => {
    const piece = data.subarray(linear + i * XDP_FRAG_SIZE, linear + (i + 1) * XDP_FRAG_SIZE);
    const bytes = new Uint8Array(XDP_FRAG_SIZE);
    bytes.set(piece);
    return { bytes, size: piece.length };
  });
  const frame: PacketFrame = {
    kind: 'xdp', ctx: ctxRegion.start, start: buffer.start, end: buffer.start + PAGE_SIZE,
    dataMeta: metaAt, data: metaAt + metalen, dataEnd: metaAt + linear, networkOffset: ETH_HLEN, ...(fragCount ? { frags } : {}),
  };
  const c = dv(space.bytes.subarray(ctxRegion.start, ctxRegion.start + XDP_MD_SIZE));
  // Without an ingress device the frame arrives on lo's queue 0, and the program sees lo's ifindex.
  c.setUint32(XDP.ingressIfindex, ingress || LOOPBACK_IFINDEX, true);
  c.setUint32(XDP.rxQueueIndex, rxQueue, true);
  syncContext(input.helpers, frame);
  return {
    r1: BigInt(ctxRegion.start),
    frame,
    repeat: repeatOf(input),
    finish() {
      const head = space.read(frame.dataMeta, frame.dataEnd - frame.dataMeta);
      const tail = (frame.frags ?? []).map((g) => g.bytes.subarray(0, g.size));
      const dataOut = new Uint8Array(head.length + tail.reduce((n, g) => n + g.length, 0));
      dataOut.set(head);
      tail.reduce((at, g) => (dataOut.set(g, at), at + g.length), head.length);
      let ctxOut = new Uint8Array();
      if (md) {
        ctxOut = md.slice();
        const o = dv(ctxOut);
        o.setUint32(XDP.data, frame.data - frame.dataMeta, true);
        o.setUint32(XDP.dataEnd, frame.dataEnd - frame.dataMeta, true);
        o.setUint32(XDP.dataMeta, 0, true);
      }
      return { dataOut, ctxOut };
    },
    release() {
      space.release(ctxRegion);
      space.release(buffer);
    },
  };
}

/** Bytes [from, to) of __sk_buff that ctx_in must leave zero (convert___skb_to_skb). */
const SKB_ZERO_RANGES: readonly [number, number, string][] = [
  [0, SKB.mark, 'len to queue_mapping'], [SKB.mark + 4, SKB.priority, 'queue_mapping to vlan_proto'],
  [SKB.ifindex + 4, SKB.cb, 'tc_index'], [SKB.cbEnd, SKB.tstamp, 'hash to flow_keys'],
  [SKB.gsoSegs + 4, SKB.gsoSize, 'sk'], [SKB.gsoSize + 4, SKB.hwtstamp, 'tstamp_type'], [SKB.hwtstamp + 8, SKB_SIZE, 'the end'],
];

/** eth_type_trans's skb->protocol for a frame, in host order. */
function ethProtocol(data: Uint8Array): number {
  const proto = (data[12] << 8) | data[13];
  if (proto >= 0x600) return proto;
  return data[14] === 0xff && data[15] === 0xff ? 0x0001 : 0x0004;
}

/** eth_type_trans's pkt_type on lo (whose address and broadcast address are all zeros). */
function pktType(data: Uint8Array): number {
  const dest = data.subarray(0, 6);
  if (dest.every((b) => b === 0)) return 0;
  return dest[0] & 1 ? 2 : 3;
}

function prepareSkb(input: RunInput, isL2: boolean, directAccess: boolean): PreparedRun {
  const { options, space } = input;
  if (options.flags) refuse(input, 'EINVAL', 'skb test runs take no flags');
  const data = options.data ?? new Uint8Array();
  const size = data.length;
  const maxData = PAGE_SIZE - SKB_HEADROOM - XDP_TAILROOM;
  if (size < ETH_HLEN || size > maxData) refuse(input, 'EINVAL', `the packet must be ${ETH_HLEN} to ${maxData} bytes, got ${size}`);
  const skbIn = ctxInit(input, SKB_SIZE);
  const len = isL2 ? size : size - ETH_HLEN;
  const proto = ethProtocol(data);
  // The kernel takes an IP frame only with its whole base header.
  const ipHeader = proto === ETH_P_IP ? IPV4_HLEN : proto === ETH_P_IPV6 ? IPV6_HLEN : 0;
  if (size < ETH_HLEN + ipHeader) refuse(input, 'EINVAL', `an IP frame must hold its ${ipHeader}-byte header: ${size} bytes is too short`);
  const ifindex = LOOPBACK_IFINDEX;
  if (skbIn) {
    for (const [from, to, what] of SKB_ZERO_RANGES) {
      if (skbIn.subarray(from, to).some((b) => b !== 0)) refuse(input, 'EINVAL', `ctx_in must leave ${what} zero (bytes ${from} to ${to})`);
    }
    const s = dv(skbIn);
    const askedIf = s.getUint32(SKB.ifindex, true);
    if (askedIf > LOOPBACK_IFINDEX) refuse(input, 'ENODEV', `no device with ifindex ${askedIf} (the runtime's only device is lo, ifindex 1)`);
    const wire = s.getUint32(SKB.wireLen, true);
    if (wire !== 0 && (wire < len || wire > GSO_LEGACY_MAX_SIZE)) refuse(input, 'EINVAL', `ctx_in.wire_len ${wire} is below the packet's ${len} bytes or above ${GSO_LEGACY_MAX_SIZE}`);
    if (s.getUint32(SKB.gsoSegs, true) > GSO_MAX_SEGS) refuse(input, 'EINVAL', `ctx_in.gso_segs is above ${GSO_MAX_SEGS}`);
  }
  const buffer = allocate(input, 'skb-data', PAGE_SIZE, 'packet', true);
  const skbRegion = allocate(input, '__sk_buff', SKB_SIZE, 'ctx', true);
  const mac = buffer.start + SKB_HEADROOM;
  space.write(mac, data);
  const start = isL2 ? mac : mac + ETH_HLEN;
  const frame: PacketFrame = {
    kind: 'skb', ctx: skbRegion.start, start: buffer.start, end: buffer.start + PAGE_SIZE,
    data: start, dataEnd: mac + size, dataMeta: start, networkOffset: isL2 ? ETH_HLEN : 0,
    skb: {
      region: buffer, retired: [], macOffset: isL2 ? 0 : -ETH_HLEN, macLen: 0, ipSummed: CHECKSUM_NONE, csumLevel: 0, swHash: false, encapsulation: false,
    },
  };
  const skbBytes = () => space.bytes.subarray(skbRegion.start, skbRegion.start + SKB_SIZE);
  if (skbIn) skbBytes().set(skbIn);
  const c = dv(skbBytes());
  // The kernel's test run gives the skb a socket of its own (skb->sk), addressed as the packet is.
  const sk = input.sockets?.testRunSocket(data);
  if (sk) c.setBigUint64(SKB.sk, BigInt(sk.address), true);
  c.setUint32(SKB.ifindex, ifindex, true);
  c.setUint32(SKB.pktType, pktType(data), true);
  c.setUint32(SKB.protocol, ((proto & 0xff) << 8) | (proto >> 8), true);
  // Without ctx_in the kernel leaves the skb's wire length unset (0).
  if (skbIn && dv(skbIn).getUint32(SKB.wireLen, true) === 0) c.setUint32(SKB.wireLen, len, true);
  syncContext(input.helpers, frame);
  if (!directAccess) {
    // The kernel computes the packet pointers only for types with direct packet access; the others read data_end as 0.
    c.setUint32(SKB.dataEnd, 0, true);
    c.setUint32(SKB.dataMeta, 0, true);
  }
  return {
    r1: BigInt(skbRegion.start),
    packet: { data: frame.data, dataEnd: frame.dataEnd },
    frame,
    repeat: repeatOf(input),
    finish() {
      const body = space.read(frame.data, frame.dataEnd - frame.data);
      const dataOut = isL2 ? body : new Uint8Array(ETH_HLEN + body.length);
      if (!isL2) dataOut.set(body, ETH_HLEN);
      let ctxOut = new Uint8Array();
      if (skbIn) {
        ctxOut = skbIn.slice();
        const after = skbBytes();
        const o = dv(ctxOut);
        const a = dv(after);
        for (const f of [SKB.mark, SKB.priority, SKB.ingressIfindex, SKB.ifindex, SKB.wireLen, SKB.gsoSegs]) o.setUint32(f, a.getUint32(f, true), true);
        for (const f of [SKB.tstamp, SKB.hwtstamp]) o.setBigUint64(f, a.getBigUint64(f, true), true);
        ctxOut.set(after.subarray(SKB.cb, SKB.cbEnd), SKB.cb);
      }
      return { dataOut, ctxOut };
    },
    release() {
      if (sk) input.sockets!.releaseTestRunSocket(sk);
      space.release(skbRegion);
      // The skb helpers may have moved the packet to bigger buffers.
      for (const region of [...frame.skb!.retired, frame.skb!.region]) space.release(region);
    },
  };
}

/** A context-only run: r1 points to a copy of ctx_in of `size` bytes. */
function prepareCtxOnly(input: RunInput, size: number, copyBack: boolean, writable: boolean): PreparedRun {
  const { space, options } = input;
  const ctx = options.ctx ?? new Uint8Array();
  const region = size ? allocate(input, 'ctx', size, 'ctx', writable) : undefined;
  if (region) space.write(region.start, ctx);
  return {
    r1: BigInt(region?.start ?? 0),
    repeat: repeatOf(input),
    finish() {
      return { dataOut: new Uint8Array(), ctxOut: copyBack && region ? space.read(region.start, ctx.length) : new Uint8Array() };
    },
    release() {
      if (region) space.release(region);
    },
  };
}

const skl = (name: string) => field(SK_LOOKUP_CTX, name).offset;
/** struct bpf_sk_lookup fields. */
const SKL = {
  sk: skl('sk'), family: skl('family'), protocol: skl('protocol'), remoteIp4: skl('remote_ip4'), remoteIp6: skl('remote_ip6'),
  remotePort: skl('remote_port'), localIp4: skl('local_ip4'), localIp6: skl('local_ip6'), localPort: skl('local_port'),
} as const;
const SK_PASS = 1;

/**
 * bpf_prog_test_run_sk_lookup: ctx_in (required) gives the family,
 * protocol, addresses and ports of the lookup; the program selects a socket
 * with bpf_sk_assign. ctx_out.cookie is the selected socket's cookie, and
 * the result is SK_PASS or SK_DROP as the run array decides it.
 */
function prepareSkLookup(input: RunInput): PreparedRun {
  const { options, space } = input;
  noData(input, 'sk_lookup');
  if (options.flags) refuse(input, 'EINVAL', 'sk_lookup test runs take no flags');
  const user = ctxInit(input, SK_LOOKUP_CTX.size);
  if (!user) refuse(input, 'EINVAL', 'an sk_lookup test run needs ctx_in (a struct bpf_sk_lookup)');
  const u = dv(user!);
  if (u.getBigUint64(SKL.sk, true) !== 0n) refuse(input, 'EINVAL', 'ctx_in.sk must be 0');
  if (user!.subarray(SKL.localPort + 4).some((b) => b !== 0)) refuse(input, 'EINVAL', 'ctx_in must be zero after local_port');
  const localPort = u.getUint32(SKL.localPort, true);
  if (localPort > U16_MAX) refuse(input, 'ERANGE', `ctx_in.local_port ${localPort} is above ${U16_MAX}`);
  const family = u.getUint32(SKL.family, true) & U16_MAX;
  if (family !== AF_INET && family !== AF_INET6) refuse(input, 'EAFNOSUPPORT', `ctx_in.family ${family} is neither AF_INET nor AF_INET6`);
  const sockets = input.sockets;
  if (!sockets) refuse(input, 'ENOTSUPP', 'this runtime has no socket table');
  const region = allocate(input, 'bpf_sk_lookup', SK_LOOKUP_CTX.size, 'ctx', false);
  const c = dv(space.bytes.subarray(region.start, region.start + SK_LOOKUP_CTX.size));
  c.setUint32(SKL.family, family, true);
  c.setUint32(SKL.protocol, u.getUint32(SKL.protocol, true) & U16_MAX, true);
  c.setUint16(SKL.remotePort, u.getUint16(SKL.remotePort, true), true);
  c.setUint32(SKL.localPort, localPort, true);
  // The kernel keeps the addresses of the lookup's family only; the others read as zero.
  const copy = (at: number, size: number) => space.bytes.set(user!.subarray(at, at + size), region.start + at);
  if (family === AF_INET) { copy(SKL.remoteIp4, 4); copy(SKL.localIp4, 4); } else { copy(SKL.remoteIp6, 16); copy(SKL.localIp6, 16); }
  const run: SkLookupRun = { ctx: region.start, family, protocol: c.getUint32(SKL.protocol, true), selected: undefined, noReuseport: false };
  sockets!.lookupRun = run;
  return {
    r1: BigInt(region.start),
    repeat: repeatOf(input),
    reset() {
      run.selected = undefined;
      run.noReuseport = false;
      space.view.setBigUint64(region.start + SKL.sk, 0n, true);
    },
    finish(r0) {
      const passed = (r0 & 0xffffffffn) === BigInt(SK_PASS);
      const selected = passed ? run.selected : undefined;
      if (selected?.spec.reuseport && !run.noReuseport) refuse(input, 'EOPNOTSUPP', 'the selected socket is in a reuseport group and BPF_SK_LOOKUP_F_NO_REUSEPORT was not given');
      const ctxOut = user!.slice();
      dv(ctxOut).setBigUint64(SKL.sk, selected?.cookie ?? 0n, true);
      // BPF_PROG_SK_LOOKUP_RUN_ARRAY: SK_DROP when the program returned it (its selection dropped too), else SK_PASS.
      return { dataOut: new Uint8Array(), ctxOut, retval: (r0 & 0xffffffffn) === 0n ? 0 : SK_PASS };
    },
    release() {
      sockets!.lookupRun = undefined;
      space.release(region);
    },
  };
}

function noData(input: RunInput, what: string): void {
  if (input.options.data?.length) refuse(input, 'EINVAL', `${what} test runs take no data_in`);
}

/** A context for the types the kernel cannot test-run: the struct the program reads, from ctx_in. */
function prepareTracing(input: RunInput, ctx: ContextSpec, name: string): PreparedRun {
  noData(input, name);
  if (input.options.flags) refuse(input, 'EINVAL', `${name} test runs take no flags`);
  const given = input.options.ctx?.length ?? 0;
  const size = name === 'tracepoint' ? Math.max(given, 8) : ctx.size;
  if (given > size) refuse(input, 'EINVAL', `ctx_in of ${given} bytes is larger than ${ctx.struct} (${size} bytes)`);
  return prepareCtxOnly(input, size, false, false);
}

/** Lay out the inputs of a test run of a program of `type`; throws TestRunError as the kernel refuses. */
export function prepareRun(input: RunInput): PreparedRun {
  const T = BPF_PROG_TYPE;
  const { options } = input;
  for (const key of ['data', 'ctx'] as const) {
    if (options[key] !== undefined && !(options[key] instanceof Uint8Array)) refuse(input, 'EINVAL', `${key} must be a Uint8Array`);
  }
  if (options.flags !== undefined && (!Number.isInteger(options.flags) || options.flags < 0 || options.flags > 0xffffffff)) {
    refuse(input, 'EINVAL', `flags must be an unsigned 32-bit integer, got ${String(options.flags)}`);
  }
  switch (input.type) {
    case T.XDP:
      return prepareXdp(input);
    case T.SCHED_CLS: case T.SCHED_ACT:
      return prepareSkb(input, true, true);
    case T.LWT_IN: case T.LWT_OUT: case T.LWT_XMIT:
      return prepareSkb(input, false, true);
    case T.SOCKET_FILTER: case T.CGROUP_SKB:
      return prepareSkb(input, false, false);
    case T.RAW_TRACEPOINT: {
      noData(input, 'raw_tracepoint');
      if (options.repeat) refuse(input, 'EINVAL', 'raw_tracepoint test runs take no repeat');
      if ((options.flags ?? 0) & ~1) refuse(input, 'EINVAL', 'raw_tracepoint test runs take only BPF_F_TEST_RUN_ON_CPU');
      const n = options.ctx?.length ?? 0;
      if (n > MAX_RAW_TP_CTX) refuse(input, 'EINVAL', `ctx_in holds at most ${MAX_RAW_TP_CTX / 8} u64 arguments, got ${n} bytes`);
      return prepareCtxOnly(input, MAX_RAW_TP_CTX, false, false);
    }
    case T.SYSCALL: {
      noData(input, 'syscall');
      if (options.repeat || options.flags) refuse(input, 'EINVAL', 'syscall test runs take no repeat or flags');
      const n = options.ctx?.length ?? 0;
      if (n > U16_MAX) refuse(input, 'EINVAL', `ctx_in is at most ${U16_MAX} bytes, got ${n}`);
      return prepareCtxOnly(input, n, true, true);
    }
    case T.SK_LOOKUP:
      return prepareSkLookup(input);
    case T.KPROBE:
      return prepareTracing(input, programType(T.KPROBE).ctx, 'kprobe');
    case T.TRACEPOINT:
      return prepareTracing(input, programType(T.TRACEPOINT).ctx, 'tracepoint');
    case T.PERF_EVENT:
      return prepareTracing(input, programType(T.PERF_EVENT).ctx, 'perf_event');
    default:
      return refuse(input, 'ENOTSUPP', 'this program type has no test run');
  }
}

export type { RunInput };
