/**
 * The SYN cookie helpers on both engines — the cookie itself, the MSS
 * table, the window of two minutes on the runtime's clock, the argument
 * checks and their errnos — and against the kernel wherever the result does
 * not depend on its random secret: the errnos, the MSS half of a cookie,
 * the refusal of a bogus cookie, a fresh listener's answers.
 *
 * Each tc program lays an IP header at r10 - 160 and a TCP header at
 * r10 - 100 (60 bytes each, zero-padded), calls the helpers and stores
 * results in the __sk_buff's cb[] (five u32), which ctx_out hands back.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { CollectionSpec } from '../../src/elf/index.js';
import {
  BPF_FUNC_tcp_check_syncookie, BPF_FUNC_tcp_gen_syncookie, BPF_FUNC_tcp_raw_check_syncookie_ipv4, BPF_FUNC_tcp_raw_check_syncookie_ipv6,
  BPF_FUNC_tcp_raw_gen_syncookie_ipv4, BPF_FUNC_tcp_raw_gen_syncookie_ipv6, DEFAULT_SYNCOOKIE_SECRET, HostOptionError, MSSTAB_IPV4, MSSTAB_IPV6,
  VirtualClock, parseIp, siphash, type HelperHost, type SocketSpec,
} from '../../src/helpers/index.js';
import { BPF_PROG_TYPE, helperIdByName } from '../../src/platform/index.js';
import { loadCollection, type EngineKind } from '../../src/runtime/index.js';
import { kernelOrSkip } from '../kernel/env.js';
import { asm } from '../helpers/util.js';
import { ipv4Frame, listenTcp, loopbackConnection, tupleStores, type Tuple } from '../helpers/sock-util.js';

const ENGINES = ['interp', 'jit'] as const;
const FRAME = ipv4Frame('10.1.0.1', '10.2.0.2');
const CB = 48;
const EINVAL = -22, ENOENT = -2, EACCES = -13, EPROTONOSUPPORT = -93;
const IP_AT = 160, TH_AT = 100;
const HZ = 250;

interface TcpOptions {
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  /** The flags byte; default SYN. */
  flags?: number;
  /** An MSS option (with two NOPs before it); none by default. */
  mss?: number;
  /** Raw option bytes instead (padded to a multiple of 4). */
  options?: number[];
  /** The data offset in 32-bit words; default the header's length. */
  doff?: number;
}
const SYN = 0x02, ACK = 0x10, FIN = 0x01, RST = 0x04;

function tcpHeader(o: TcpOptions = {}): Uint8Array {
  const options = o.options ?? (o.mss === undefined ? [] : [1, 1, 2, 4, o.mss >> 8, o.mss & 0xff]);
  const len = 20 + Math.ceil(options.length / 4) * 4;
  const th = new Uint8Array(len);
  const v = new DataView(th.buffer);
  v.setUint16(0, o.sport ?? 40000, false);
  v.setUint16(2, o.dport ?? 80, false);
  v.setUint32(4, o.seq ?? 0x12345678, false);
  v.setUint32(8, o.ack ?? 0, false);
  th[12] = (o.doff ?? len / 4) << 4;
  th[13] = o.flags ?? SYN;
  v.setUint16(14, 64240, false);
  th.set(options, 20);
  return th;
}

function ipHeader(saddr: string, daddr: string, version?: number): Uint8Array {
  const s = parseIp(saddr)!, d = parseIp(daddr)!;
  if (s.length === 4) {
    const ip = new Uint8Array(20);
    ip[0] = ((version ?? 4) << 4) | 5;
    ip[8] = 64;
    ip[9] = 6;
    ip.set(s, 12);
    ip.set(d, 16);
    return ip;
  }
  const ip = new Uint8Array(40);
  ip[0] = (version ?? 6) << 4;
  ip[6] = 6;
  ip[7] = 64;
  ip.set(s, 8);
  ip.set(d, 24);
  return ip;
}

/** Stores that write `bytes`, zero-padded to 60, at r10 - `at`. */
function stackStores(bytes: Uint8Array, at: number): string {
  const padded = new Uint8Array(60);
  padded.set(bytes);
  const v = new DataView(padded.buffer);
  const lines: string[] = [];
  for (let i = 0; i < 60; i += 4) lines.push(`r2 = ${v.getInt32(i, true)}`, `*(u32 *)(r10 - ${at - i}) = r2`);
  return lines.join('\n');
}

const out = (slot: number): string => `*(u32 *)(r6 + ${CB + 4 * slot}) = r0`;
const IPH = `r1 = r10\nr1 += -${IP_AT}`;
const TH = `r2 = r10\nr2 += -${TH_AT}`;
const rawGen = (v: 4 | 6, thLen: number): string => `${IPH}\n${TH}\nr3 = ${thLen}\ncall bpf_tcp_raw_gen_syncookie_ipv${v}`;
const rawCheck = (v: 4 | 6): string => `${IPH}\n${TH}\ncall bpf_tcp_raw_check_syncookie_ipv${v}`;
const sockCall = (helper: 'gen' | 'check', iphLen: number, thLen: number): string =>
  `r1 = r7\nr2 = r10\nr2 += -${IP_AT}\nr3 = ${iphLen}\nr4 = r10\nr4 += -${TH_AT}\nr5 = ${thLen}\ncall bpf_tcp_${helper}_syncookie`;
/** The TCP header on the stack becomes the client's ACK of the cookie in r8 (gen's result): seq + 1, ack_seq = cookie + 1, ACK alone. */
const toAck = [
  `r0 = *(u32 *)(r10 - ${TH_AT - 4})`, 'r0 = be32 r0', 'r0 += 1', 'r0 = be32 r0', `*(u32 *)(r10 - ${TH_AT - 4}) = r0`,
  'r0 = r8', 'r0 += 1', 'r0 = be32 r0', `*(u32 *)(r10 - ${TH_AT - 8}) = r0`,
  `r0 = ${ACK}`, `*(u8 *)(r10 - ${TH_AT - 13}) = r0`,
].join('\n');

/**
 * A tc program: the headers on the stack, then `body` (r6 the context; with
 * `lookup`, r7 the socket bpf_sk_lookup_tcp/udp finds for that tuple,
 * released at the end; the program returns 1 when none is found), then 0.
 */
function program(ip: Uint8Array, th: Uint8Array, body: string, lookup?: { tuple: Tuple; udp?: boolean }): string {
  const head = ['r6 = r1', stackStores(ip, IP_AT), stackStores(th, TH_AT)];
  if (!lookup) return [...head, body, 'r0 = 0', 'exit'].join('\n');
  const t = tupleStores(lookup.tuple);
  return [
    ...head, t.text, 'r1 = r6', 'r2 = r10', 'r2 += -40', `r3 = ${t.size}`, 'r4 = -1', 'r5 = 0',
    `call bpf_sk_lookup_${lookup.udp ? 'udp' : 'tcp'}`, 'if r0 == 0 goto miss', 'r7 = r0',
    body, 'r1 = r7', 'call bpf_sk_release', 'r0 = 0', 'exit', 'miss:', 'r0 = 1', 'exit',
  ].join('\n');
}

function tcSpec(programs: Record<string, string>): CollectionSpec {
  return {
    byteOrder: 'le', license: 'GPL', kernelVersion: 0, maps: [], variables: [], btf: null,
    programs: Object.entries(programs).map(([name, text]) => {
      const insns = asm(text);
      return {
        name, sectionName: 'tc', type: BPF_PROG_TYPE.SCHED_CLS, expectedAttachType: 0, attachTo: '', flags: 0, license: 'GPL',
        kernelVersion: 0, insns, functions: [{ name, section: 'tc', insnOff: 0, insnCnt: insns.length }], funcInfo: [], lineInfo: [], coreRelos: [],
      };
    }),
  };
}

interface World {
  host?: Omit<HelperHost, 'clock'>;
  sockets?: SocketSpec[];
  clock?: VirtualClock;
}

/** A collection of the programs on `engine`, with a function that test-runs one and returns cb[0..4] (signed). */
function open(engine: EngineKind, programs: Record<string, string>, w: World = {}, t?: TestContext) {
  let c;
  if (engine === 'kernel') {
    const kernel = kernelOrSkip(t!);
    if (!kernel) return undefined;
    c = loadCollection(tcSpec(programs), { engine, kernel });
  } else {
    c = loadCollection(tcSpec(programs), { engine, host: w.host, sockets: w.sockets, clock: w.clock });
  }
  const run = (name: string): number[] => {
    const r = c.programs[name].testRun({ data: FRAME, ctx: new Uint8Array(192) });
    assert.equal(r.retval, 0, `${name}: the program found its socket`);
    const v = new DataView(r.ctxOut.buffer, r.ctxOut.byteOffset + CB, 20);
    return [0, 1, 2, 3, 4].map((i) => v.getInt32(4 * i, true));
  };
  return { run, dispose: () => c.dispose() };
}

/** cb[0..4] of one run of one program. */
function cbOut(engine: EngineKind, text: string, w: World = {}, t?: TestContext): number[] | undefined {
  const c = open(engine, { prog: text }, w, t);
  if (!c) return undefined;
  try {
    return c.run('prog');
  } finally {
    c.dispose();
  }
}

/** The cookie the kernel's algorithm gives, written out from its definition: SipHash over the u32 words the kernel hashes. */
function expectedCookie(ip: Uint8Array, th: Uint8Array, mssIndex: number, count: number, secret = DEFAULT_SYNCOOKIE_SECRET): number {
  const v6 = ip[0] >> 4 === 6;
  const le32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset + at, 4).getUint32(0, true);
  const le16 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset + at, 2).getUint16(0, true);
  const words = (c: number): number[] => v6
    // struct { in6_addr saddr, daddr; u32 count; __be16 sport, dport }
    ? [...[8, 12, 16, 20, 24, 28, 32, 36].map((at) => le32(ip, at)), c, le32(th, 0)]
    // siphash_4u32(saddr, daddr, sport << 16 | dport, count), the ports as loaded from memory
    : [le32(ip, 12), le32(ip, 16), ((le16(th, 0) << 16) | le16(th, 2)) >>> 0, c];
  const hash = (c: number, key: 0 | 1): number => {
    const w = words(c);
    const msg = new Uint8Array(4 * w.length);
    w.forEach((x, i) => new DataView(msg.buffer).setUint32(4 * i, x, true));
    const k = (v6 ? secret.ipv6 : secret.ipv4).subarray(16 * key, 16 * key + 16);
    return Number(siphash(msg, k) & 0xffffffffn);
  };
  const seq = new DataView(th.buffer, th.byteOffset).getUint32(4, false);
  return (hash(0, 0) + seq + count * 2 ** 24 + ((hash(count, 1) + mssIndex) % 2 ** 24)) % 2 ** 32;
}

/** tcp_cookie_time at `seconds` of the runtime's clock: jiffies (from INITIAL_JIFFIES) / 60 HZ. */
const cookieTime = (seconds: number): number => Math.floor((2 ** 32 - 300 * HZ + seconds * HZ) / (60 * HZ));

const IP4 = ipHeader('192.0.2.1', '198.51.100.7');
const IP6 = ipHeader('2001:db8::1', '2001:db8::2');

test('the helpers carry the kernel ids', () => {
  const ids: [string, number][] = [
    ['tcp_check_syncookie', BPF_FUNC_tcp_check_syncookie], ['tcp_gen_syncookie', BPF_FUNC_tcp_gen_syncookie],
    ['tcp_raw_gen_syncookie_ipv4', BPF_FUNC_tcp_raw_gen_syncookie_ipv4], ['tcp_raw_gen_syncookie_ipv6', BPF_FUNC_tcp_raw_gen_syncookie_ipv6],
    ['tcp_raw_check_syncookie_ipv4', BPF_FUNC_tcp_raw_check_syncookie_ipv4], ['tcp_raw_check_syncookie_ipv6', BPF_FUNC_tcp_raw_check_syncookie_ipv6],
  ];
  for (const [name, id] of ids) assert.equal(id, helperIdByName(name), name);
});

test('siphash is SipHash-2-4: the reference vectors of the SipHash paper', () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  const msg = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);
  assert.equal(siphash(msg(0), key), 0x726fdb47dd0e0e31n);
  assert.equal(siphash(msg(8), key), 0x93f5f5799a932462n);
  assert.equal(siphash(msg(15), key), 0xa129ca6149be45e5n);
  assert.equal(siphash(msg(16), key), 0x3f2acc7f57c29bdbn);
});

test('the host options are checked: 32-byte secrets, tcp_syncookies 0 to 2', () => {
  const text = program(IP4, tcpHeader(), `${rawGen(4, 20)}\n${out(0)}`);
  assert.throws(() => cbOut('interp', text, { host: { syncookieSecret: { ipv4: new Uint8Array(16) } } }), HostOptionError);
  assert.throws(() => cbOut('interp', text, { host: { tcpSyncookies: 3 } }), /tcpSyncookies: must be 0, 1 or 2/);
});

/** The MSS a SYN's options ask for → the MSS its cookie encodes, per family. */
const MSS_CASES: { v: 4 | 6; th: TcpOptions; mss: number }[] = [
  { v: 4, th: {}, mss: 536 }, { v: 4, th: { mss: 1460 }, mss: 1460 }, { v: 4, th: { mss: 1459 }, mss: 1440 }, { v: 4, th: { mss: 1440 }, mss: 1440 },
  { v: 4, th: { mss: 1439 }, mss: 1300 }, { v: 4, th: { mss: 1300 }, mss: 1300 }, { v: 4, th: { mss: 1299 }, mss: 536 }, { v: 4, th: { mss: 9000 }, mss: 1460 },
  { v: 4, th: { mss: 100 }, mss: 536 }, { v: 4, th: { mss: 0 }, mss: 536 },
  // The option after a window scale; after a "silly" option of size 1 or an end of options, none is read.
  { v: 4, th: { options: [3, 3, 7, 1, 2, 4, 0x05, 0xa0] }, mss: 1440 }, { v: 4, th: { options: [8, 1, 2, 4, 0x05, 0xb4, 1, 1] }, mss: 536 },
  { v: 4, th: { options: [0, 0, 2, 4, 0x05, 0xb4, 1, 1] }, mss: 536 }, { v: 4, th: { options: [2, 4, 0x05, 0xb4, 2, 4, 0x05, 0x14] }, mss: 1300 },
  // An MSS option cut off by the end of the header is not read.
  { v: 4, th: { options: [1, 1, 1, 1, 1, 1, 2, 4] }, mss: 536 },
  { v: 6, th: {}, mss: 1220 }, { v: 6, th: { mss: 1220 }, mss: 1220 }, { v: 6, th: { mss: 1419 }, mss: 1220 }, { v: 6, th: { mss: 1420 }, mss: 1420 },
  { v: 6, th: { mss: 1460 }, mss: 1440 }, { v: 6, th: { mss: 8939 }, mss: 1440 }, { v: 6, th: { mss: 8940 }, mss: 8940 }, { v: 6, th: { mss: 65535 }, mss: 8940 },
  { v: 6, th: { mss: 536 }, mss: 1220 },
];

/** raw_gen's result (cookie, MSS) then raw_check's of the ACK of that cookie, for the SYN `th`. */
const rawRoundTrip = (v: 4 | 6, th: Uint8Array): string => [rawGen(v, th.length), 'r8 = r0', out(0), 'r0 >>= 32', out(1), toAck, rawCheck(v), out(2)].join('\n');

/** gen's result (cookie, MSS) on the listener r7, then check's of the ACK of that cookie. */
const sockRoundTrip = (iphLen: number, th: Uint8Array): string =>
  [sockCall('gen', iphLen, th.length), 'r8 = r0', out(0), 'r0 >>= 32', out(1), toAck, sockCall('check', iphLen, 20), out(2)].join('\n');

for (const engine of ENGINES) {
  test(`${engine}: raw_gen: the kernel's cookie and the MSS of the table for each client MSS; raw_check takes the ACK of it`, () => {
    for (const c of MSS_CASES) {
      const ip = c.v === 4 ? IP4 : IP6;
      const th = tcpHeader(c.th);
      const [cookie, mss, check] = cbOut(engine, program(ip, th, rawRoundTrip(c.v, th)))!;
      const table = c.v === 4 ? MSSTAB_IPV4 : MSSTAB_IPV6;
      assert.equal(mss, c.mss, `IPv${c.v} ${JSON.stringify(c.th)}`);
      assert.equal(cookie >>> 0, expectedCookie(ip, th, table.indexOf(c.mss), cookieTime(0)), `IPv${c.v} ${JSON.stringify(c.th)}: the cookie`);
      assert.equal(check, 0, `IPv${c.v} ${JSON.stringify(c.th)}: the ACK of the cookie passes`);
    }
  });

  test(`${engine}: raw_gen's argument checks: th_len at least 20 and the header's doff * 4; any flags`, () => {
    // The SYN, th_len, and the errno or the MSS for IPv4 and for IPv6.
    const cases: [TcpOptions, number, number, number][] = [
      [{}, 0, EINVAL, EINVAL], [{}, 19, EINVAL, EINVAL], [{ mss: 1460 }, 20, EINVAL, EINVAL], [{ doff: 6 }, 20, EINVAL, EINVAL],
      [{ doff: 4 }, 20, EINVAL, EINVAL], [{ mss: 1460 }, 24, EINVAL, EINVAL], [{ mss: 1460 }, 28, 1460, 1440],
      [{ flags: ACK, mss: 1460 }, 28, 1460, 1440], [{ flags: SYN | ACK | RST | FIN }, 20, 536, 1220],
    ];
    for (const v of [4, 6] as const) {
      for (const [o, thLen, want4, want6] of cases) {
        const [low, high] = cbOut(engine, program(v === 4 ? IP4 : IP6, tcpHeader(o), `${rawGen(v, thLen)}\n${out(0)}\nr0 >>= 32\n${out(1)}`))!;
        assert.equal(high === -1 ? low : high, v === 4 ? want4 : want6, `IPv${v} ${JSON.stringify(o)} th_len ${thLen}`);
      }
    }
  });

  test(`${engine}: raw_check refuses another 4-tuple, another seq, a bogus cookie; the secret is the host's`, () => {
    for (const v of [4, 6] as const) {
      const ip = v === 4 ? IP4 : IP6;
      const syn = tcpHeader({ mss: 1440 });
      // The ACK of the cookie with one byte flipped (at r10 - `at`): 0 untouched, -EACCES for each flip.
      const flipped = (at?: number, bits = 0) => cbOut(engine, program(ip, syn, [
        rawGen(v, syn.length), 'r8 = r0', toAck,
        ...(at === undefined ? [] : [`r0 = *(u8 *)(r10 - ${at})`, `r0 ^= ${bits}`, `*(u8 *)(r10 - ${at}) = r0`]),
        rawCheck(v), out(0),
      ].join('\n')))![0];
      assert.equal(flipped(), 0, `IPv${v}: the ACK of the cookie`);
      assert.equal(flipped(TH_AT - 1, 1), EACCES, `IPv${v}: another source port`);
      assert.equal(flipped(TH_AT - 2, 1), EACCES, `IPv${v}: another destination port`);
      assert.equal(flipped(TH_AT - 5, 0x10), EACCES, `IPv${v}: another seq`);
      assert.equal(flipped(TH_AT - 8, 0x80), EACCES, `IPv${v}: a cookie of another minute`);
      assert.equal(flipped(TH_AT - 10, 0x10), EACCES, `IPv${v}: another cookie`);
      assert.equal(flipped(IP_AT - (v === 4 ? 15 : 23), 1), EACCES, `IPv${v}: another source address`);
      assert.equal(flipped(IP_AT - (v === 4 ? 19 : 39), 1), EACCES, `IPv${v}: another destination address`);
      assert.deepEqual(cbOut(engine, program(ip, tcpHeader({ flags: ACK, ack: 0xdeadbeef }), `${rawCheck(v)}\n${out(0)}`))!.slice(0, 1), [EACCES]);
      // The same SYN under another secret of its family: another cookie; the other family's secret changes nothing.
      const gen = `${rawGen(v, syn.length)}\n${out(0)}`;
      const base = cbOut(engine, program(ip, syn, gen))![0];
      const key = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
      assert.notEqual(cbOut(engine, program(ip, syn, gen), { host: { syncookieSecret: v === 4 ? { ipv4: key } : { ipv6: key } } })![0], base);
      assert.equal(cbOut(engine, program(ip, syn, gen), { host: { syncookieSecret: v === 4 ? { ipv6: key } : { ipv4: key } } })![0], base);
    }
  });

  test(`${engine}: a cookie is good in its minute and the next, on the runtime's clock`, () => {
    for (const v of [4, 6] as const) {
      const ip = v === 4 ? IP4 : IP6;
      const syn = tcpHeader({ mss: 1300, seq: 0xfffffff0 });
      const clock = new VirtualClock();
      const gen = open(engine, { gen: program(ip, syn, `${rawGen(v, syn.length)}\n${out(0)}`) }, { clock })!;
      const cookie = gen.run('gen')[0] >>> 0;
      gen.dispose();
      const ack = tcpHeader({ flags: ACK, seq: 0xfffffff1, ack: (cookie + 1) >>> 0 });
      const c = open(engine, { check: program(ip, ack, `${rawCheck(v)}\n${out(0)}`) }, { clock })!;
      const results: number[] = [];
      for (const seconds of [0, 59, 1, 60, 1]) {
        clock.advance(BigInt(seconds) * 1_000_000_000n);
        results.push(c.run('check')[0]);
      }
      c.dispose();
      // At 0, 59 s, 60 s: the counter moved by at most one; at 120 s and 121 s by two.
      const counts = [0, 59, 60, 120, 121].map((s) => cookieTime(s) - cookieTime(0));
      assert.deepEqual(results, counts.map((d) => (d < 2 ? 0 : EACCES)), `IPv${v}: counter steps ${counts.join(' ')}`);
      assert.ok(counts.includes(2) && counts.includes(1), 'the clock crossed two minute boundaries');
    }
  });

  const listener: SocketSpec = { protocol: 'tcp', localIp: '198.51.100.7', localPort: 80 };
  const listener6: SocketSpec = { protocol: 'tcp', localIp: '2001:db8::2', localPort: 80, v6only: true };
  const dual: SocketSpec = { protocol: 'tcp', localIp: '::', localPort: 80 };
  const established: SocketSpec = { protocol: 'tcp', localIp: '198.51.100.7', localPort: 80, remoteIp: '192.0.2.1', remotePort: 40000 };
  const udp: SocketSpec = { protocol: 'udp', localIp: '198.51.100.7', localPort: 80 };
  const tuple4: Tuple = { saddr: '192.0.2.1', sport: 40000, daddr: '198.51.100.7', dport: 80 };
  const tuple6: Tuple = { saddr: '2001:db8::1', sport: 40000, daddr: '2001:db8::2', dport: 80 };

  test(`${engine}: bpf_tcp_gen_syncookie / check_syncookie on a listener with tcp_syncookies 2: the raw helpers' cookie, and its ACK passes`, () => {
    const host = { tcpSyncookies: 2 };
    for (const [sockets, ip, tuple, mss] of [
      [[listener], IP4, tuple4, 1440], [[listener6], IP6, tuple6, 1440], [[dual], IP4, tuple4, 1440], [[dual], IP6, tuple6, 1440],
    ] as const) {
      const th = tcpHeader({ mss: 1440 });
      const [cookie, gotMss, check] = cbOut(engine, program(ip, th, sockRoundTrip(ip.length, th), { tuple }), { host, sockets: [...sockets] })!;
      const table = ip === IP4 ? MSSTAB_IPV4 : MSSTAB_IPV6;
      assert.equal(gotMss, mss, `${sockets[0].localIp}, IPv${ip === IP4 ? 4 : 6}`);
      assert.equal(cookie >>> 0, expectedCookie(ip, th, table.indexOf(mss), cookieTime(0)));
      assert.equal(check, 0);
    }
    // Without the option: the family's default MSS.
    assert.equal(cbOut(engine, program(IP6, tcpHeader(), sockRoundTrip(40, tcpHeader()), { tuple: tuple6 }), { host, sockets: [listener6] })![1], 1220);
  });

  test(`${engine}: the listener answers as the kernel's does when under no SYN flood (tcp_syncookies 1) and with cookies off (0)`, () => {
    const th = tcpHeader({ mss: 1460 });
    const text = program(IP4, th, [sockCall('gen', 20, th.length), 'r8 = r0', out(0), toAck, sockCall('check', 20, 20), out(1)].join('\n'), { tuple: tuple4 });
    assert.deepEqual(cbOut(engine, text, { sockets: [listener] })!.slice(0, 2), [ENOENT, ENOENT], 'default: its SYN queue is not full');
    assert.deepEqual(cbOut(engine, text, { sockets: [listener], host: { tcpSyncookies: 1 } })!.slice(0, 2), [ENOENT, ENOENT]);
    assert.deepEqual(cbOut(engine, text, { sockets: [listener], host: { tcpSyncookies: 0 } })!.slice(0, 2), [ENOENT, EINVAL]);
    // A good cookie, but the listener sent none: no recent SYN queue overflow.
    const ack = program(IP4, tcpHeader({ flags: ACK }), `${sockCall('check', 20, 20)}\n${out(0)}`, { tuple: tuple4 });
    assert.equal(cbOut(engine, ack, { sockets: [listener], host: { tcpSyncookies: 2 } })![0], ENOENT);
  });

  test(`${engine}: a cookie of the listener's expires with the clock, and so does its SYN queue overflow`, () => {
    const th = tcpHeader({ mss: 1460 });
    // The listener's cookie is the raw helper's for the same headers.
    const cookie = cbOut(engine, program(IP4, th, `${rawGen(4, th.length)}\n${out(0)}`))![0] >>> 0;
    const ack = tcpHeader({ flags: ACK, seq: 0x12345679, ack: (cookie + 1) >>> 0 });
    const clock = new VirtualClock();
    const c = open(engine, {
      gen: program(IP4, th, `${sockCall('gen', 20, th.length)}\n${out(0)}`, { tuple: tuple4 }),
      check: program(IP4, ack, `${sockCall('check', 20, 20)}\n${out(0)}`, { tuple: tuple4 }),
    }, { clock, host: { tcpSyncookies: 2 }, sockets: [listener] })!;
    try {
      assert.equal(c.run('check')[0], ENOENT, 'the listener sent no cookie yet');
      assert.equal(c.run('gen')[0] >>> 0, cookie);
      assert.equal(c.run('check')[0], 0);
      clock.advance(60_000_000_000n);
      assert.equal(c.run('check')[0], 0, 'a minute later');
      clock.advance(120_000_000_000n);
      assert.equal(c.run('check')[0], ENOENT, 'three minutes later');
    } finally {
      c.dispose();
    }
  });

  test(`${engine}: the socket helpers' argument checks and their errnos`, () => {
    const host = { tcpSyncookies: 2 };
    const syn = tcpHeader();
    const ackTh = tcpHeader({ flags: ACK });
    const gen = (iphLen: number, thLen: number) => `${sockCall('gen', iphLen, thLen)}\n${out(0)}`;
    const check = (iphLen: number, thLen: number) => `${sockCall('check', iphLen, thLen)}\n${out(0)}`;
    const cases: [string, Uint8Array, Uint8Array, string, SocketSpec, Tuple, number][] = [
      ['gen: th_len 19', IP4, syn, gen(20, 19), listener, tuple4, EINVAL],
      ['gen: th_len not doff * 4', IP4, syn, gen(20, 24), listener, tuple4, EINVAL],
      ['gen: SYN+ACK', IP4, tcpHeader({ flags: SYN | ACK }), gen(20, 20), listener, tuple4, EINVAL],
      ['gen: SYN+FIN', IP4, tcpHeader({ flags: SYN | FIN }), gen(20, 20), listener, tuple4, EINVAL],
      ['gen: SYN+RST', IP4, tcpHeader({ flags: SYN | RST }), gen(20, 20), listener, tuple4, EINVAL],
      ['gen: no SYN', IP4, ackTh, gen(20, 20), listener, tuple4, EINVAL],
      ['gen: iph_len 19', IP4, syn, gen(19, 20), listener, tuple4, EINVAL],
      ['gen: IP version 5', ipHeader('192.0.2.1', '198.51.100.7', 5), syn, gen(20, 20), listener, tuple4, EPROTONOSUPPORT],
      ['gen: IPv6 header of 20 bytes', IP6, syn, gen(20, 20), listener6, tuple6, EINVAL],
      ['gen: IPv6 header, IPv4 listener', IP6, syn, gen(40, 20), listener, tuple4, EINVAL],
      ['gen: IPv4 header, v6only listener', IP4, syn, gen(20, 20), listener6, tuple6, EINVAL],
      ['gen: an established socket', IP4, syn, gen(20, 20), established, tuple4, EINVAL],
      ['check: th_len 19', IP4, ackTh, check(20, 19), listener, tuple4, EINVAL],
      ['check: SYN', IP4, tcpHeader({ flags: SYN | ACK }), check(20, 20), listener, tuple4, ENOENT],
      ['check: RST', IP4, tcpHeader({ flags: RST | ACK }), check(20, 20), listener, tuple4, ENOENT],
      ['check: no ACK', IP4, tcpHeader({ flags: 0 }), check(20, 20), listener, tuple4, ENOENT],
      ['check: iph_len 19', IP4, ackTh, check(19, 20), listener, tuple4, EINVAL],
      ['check: an established socket', IP4, ackTh, check(20, 20), established, tuple4, EINVAL],
    ];
    for (const [what, ip, th, body, sock, tuple, want] of cases) {
      assert.equal(cbOut(engine, program(ip, th, body, { tuple }), { host, sockets: [sock] })![0], want, what);
    }
    const udpText = program(IP4, syn, `${gen(20, 20)}\n${check(20, 20).replace(out(0), out(1))}`, { tuple: tuple4, udp: true });
    assert.deepEqual(cbOut(engine, udpText, { host, sockets: [udp] })!.slice(0, 2), [EINVAL, EINVAL], 'a UDP socket');
    // After a cookie sent (a recent SYN queue overflow), check reaches the IP version checks: the ACK of the cookie with another version byte.
    const afterGen = (version: number, iphLen: number) => program(IP4, syn, [
      sockCall('gen', 20, 20), 'r8 = r0', toAck, `r0 = ${(version << 4) | 5}`, `*(u8 *)(r10 - ${IP_AT}) = r0`, check(iphLen, 20),
    ].join('\n'), { tuple: tuple4 });
    const sockets = [listener];
    assert.equal(cbOut(engine, afterGen(4, 20), { host, sockets })![0], 0, 'the ACK of the cookie');
    assert.equal(cbOut(engine, afterGen(5, 20), { host, sockets })![0], EPROTONOSUPPORT, 'check: IP version 5');
    assert.equal(cbOut(engine, afterGen(6, 40), { host, sockets })![0], EINVAL, 'check: IPv6 header, IPv4 listener');
    assert.equal(cbOut(engine, afterGen(6, 20), { host, sockets })![0], EINVAL, 'check: IPv6 header of 20 bytes');
  });
}

/** The same results on the kernel and on both engines (`mask` says which slots may differ: the kernel's secret). */
function agree(t: TestContext, what: string, text: string, w: World = {}, mask: (cb: number[]) => number[] = (cb) => cb): number[] | undefined {
  const kernel = cbOut('kernel', text, {}, t);
  if (!kernel) return undefined;
  for (const engine of ENGINES) {
    assert.deepEqual(mask(cbOut(engine, text, w)!), mask(kernel), `${what}: ${engine} against the kernel`);
  }
  return kernel;
}

/** Only the MSS half of gen results in slots 0 (low) and 1 (high), unless it is an error. */
const mssOnly = (cb: number[]): number[] => (cb[1] === -1 ? cb : [0, cb[1], ...cb.slice(2)]);

test('kernel: raw_gen\'s MSS for each client MSS, its errnos, raw_check\'s -EACCES', (t) => {
  for (const c of MSS_CASES) {
    const th = tcpHeader(c.th);
    const text = program(c.v === 4 ? IP4 : IP6, th, `${rawGen(c.v, th.length)}\n${out(0)}\nr0 >>= 32\n${out(1)}`);
    const k = agree(t, `IPv${c.v} ${JSON.stringify(c.th)}`, text, {}, mssOnly);
    if (!k) return;
    assert.equal(k[1], c.mss, 'the kernel agrees with the table of the case');
  }
  for (const v of [4, 6] as const) {
    const ip = v === 4 ? IP4 : IP6;
    for (const [o, thLen] of [[{}, 0], [{}, 19], [{ mss: 1460 }, 20], [{ doff: 6 }, 20], [{ doff: 4 }, 20]] as const) {
      const k = agree(t, `IPv${v} ${JSON.stringify(o)} th_len ${thLen}`, program(ip, tcpHeader(o), `${rawGen(v, thLen)}\n${out(0)}`));
      if (!k) return;
      assert.equal(k[0], EINVAL);
    }
    const bogus = program(ip, tcpHeader({ flags: ACK, ack: 0xdeadbeef }), `${rawCheck(v)}\n${out(0)}\n${rawCheck(v)}\n${out(1)}`);
    assert.deepEqual(agree(t, `IPv${v} bogus cookie`, bogus)?.slice(0, 2), [EACCES, EACCES]);
  }
});

test('kernel: the ACK of a cookie passes raw_check and altered ones do not; a cookie moves with the client\'s seq and the MSS index', (t) => {
  for (const v of [4, 6] as const) {
    const ip = v === 4 ? IP4 : IP6;
    const syn = tcpHeader({ mss: 536 });
    const roundTrip = agree(t, `IPv${v} round trip`, program(ip, syn, rawRoundTrip(v, syn)), {}, (cb) => cb.slice(1));
    if (!roundTrip) return;
    assert.deepEqual(roundTrip.slice(1, 3), [v === 4 ? 536 : 1220, 0]);
    for (const [what, at, bits] of [['source port', TH_AT - 1, 1], ['seq', TH_AT - 5, 0x10], ['cookie', TH_AT - 10, 0x10], ['source address', IP_AT - (v === 4 ? 15 : 23), 1]] as const) {
      const text = program(ip, syn, [
        rawGen(v, syn.length), 'r8 = r0', toAck, `r0 = *(u8 *)(r10 - ${at})`, `r0 ^= ${bits}`, `*(u8 *)(r10 - ${at}) = r0`, rawCheck(v), out(0),
      ].join('\n'));
      assert.equal(agree(t, `IPv${v}: another ${what}`, text)?.[0], EACCES);
    }
    // The same SYN with seq + 1000, then with the largest MSS of the table: the cookie moves by 1000, then by the index, 3 (whatever the secret).
    const moved = program(ip, syn, [
      rawGen(v, syn.length), 'r8 = r0',
      `r0 = *(u32 *)(r10 - ${TH_AT - 4})`, 'r0 = be32 r0', 'r0 += 1000', 'r0 = be32 r0', `*(u32 *)(r10 - ${TH_AT - 4}) = r0`,
      rawGen(v, syn.length), 'r9 = r0', 'r0 -= r8', out(0),
      'r0 = 0xff', `*(u8 *)(r10 - ${TH_AT - 24}) = r0`, `*(u8 *)(r10 - ${TH_AT - 25}) = r0`,
      rawGen(v, syn.length), 'r7 = r0', 'r0 -= r9', out(1), 'r0 = r7', 'r0 >>= 32', out(2),
    ].join('\n'));
    assert.deepEqual(agree(t, `IPv${v}: seq and MSS`, moved)?.slice(0, 3), [1000, 3, v === 4 ? 1460 : 8940]);
  }
});

/** A TCP listener, an accepted connection, a v6only and a dual-stack listener on the loopback; their descriptions; closing them. */
async function openListeners() {
  const { server, port, client, peer } = await loopbackConnection();
  const { server: server6, port: port6 } = await listenTcp('::1', true);
  const { server: dual, port: portDual } = await listenTcp('::', false);
  return {
    port, port6, portDual, client: client.localPort!,
    sockets: [
      { protocol: 'tcp', localIp: '127.0.0.1', localPort: port },
      { protocol: 'tcp', localIp: '127.0.0.1', localPort: port, remoteIp: '127.0.0.1', remotePort: client.localPort! },
      { protocol: 'tcp', localIp: '127.0.0.1', localPort: client.localPort!, remoteIp: '127.0.0.1', remotePort: port },
      { protocol: 'tcp', localIp: '::1', localPort: port6, v6only: true },
      { protocol: 'tcp', localIp: '::', localPort: portDual },
    ] satisfies SocketSpec[],
    close: async () => {
      client.destroy();
      peer.destroy();
      await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => server6.close(r)), new Promise((r) => dual.close(r))]);
    },
  };
}

test('kernel: bpf_tcp_gen_syncookie / check_syncookie on real sockets: a fresh listener\'s answers and the errnos', async (t) => {
  if (!kernelOrSkip(t)) return;
  const world = await openListeners();
  try {
    // The namespace's sysctl, which the kernel's listeners see.
    const host = { tcpSyncookies: Number(readFileSync('/proc/sys/net/ipv4/tcp_syncookies', 'utf8').trim()) };
    const w = { host, sockets: world.sockets };
    const lo4 = ipHeader('127.0.0.1', '127.0.0.1');
    const lo6 = ipHeader('::1', '::1');
    const listen4: Tuple = { saddr: '127.0.0.1', sport: 1, daddr: '127.0.0.1', dport: world.port };
    const listen6: Tuple = { saddr: '::1', sport: 1, daddr: '::1', dport: world.port6 };
    const conn: Tuple = { saddr: '127.0.0.1', sport: world.client, daddr: '127.0.0.1', dport: world.port };
    const dual4: Tuple = { saddr: '127.0.0.1', sport: 1, daddr: '127.0.0.1', dport: world.portDual };
    const dual6: Tuple = { saddr: '::1', sport: 1, daddr: '::1', dport: world.portDual };
    const syn = tcpHeader({ sport: 1, dport: world.port, mss: 1460 });
    const ackTh = tcpHeader({ sport: 1, dport: world.port, flags: ACK, ack: 0xdeadbeef });
    const gen = (iphLen: number, thLen: number) => `${sockCall('gen', iphLen, thLen)}\n${out(0)}\nr0 >>= 32\n${out(1)}`;
    const check = (iphLen: number, thLen: number) => `${sockCall('check', iphLen, thLen)}\n${out(2)}`;
    const cases: [string, Uint8Array, Uint8Array, string, Tuple][] = [
      ['a SYN, then the ACK of its cookie', lo4, syn, sockRoundTrip(20, syn), listen4],
      ['a bogus ACK', lo4, ackTh, check(20, 20), listen4],
      ['gen: th_len 19', lo4, syn, gen(20, 19), listen4],
      ['gen: th_len not doff * 4', lo4, syn, gen(20, 20), listen4],
      ['gen: SYN+ACK', lo4, tcpHeader({ flags: SYN | ACK }), gen(20, 20), listen4],
      ['gen: no SYN', lo4, ackTh, gen(20, 20), listen4],
      ['gen: iph_len 19', lo4, tcpHeader(), gen(19, 20), listen4],
      ['gen: IP version 5', ipHeader('127.0.0.1', '127.0.0.1', 5), tcpHeader(), gen(20, 20), listen4],
      ['gen: IPv6 header, IPv4 listener', lo6, tcpHeader(), gen(40, 20), listen4],
      ['gen: IPv6 header of 20 bytes', lo6, tcpHeader(), gen(20, 20), listen6],
      ['gen: IPv4 header, v6only listener', lo4, tcpHeader(), gen(20, 20), listen6],
      ['gen: an established socket', lo4, tcpHeader(), gen(20, 20), conn],
      ['gen: IPv4 header, dual-stack listener', lo4, syn, sockRoundTrip(20, syn), dual4],
      ['gen: IPv6 header, dual-stack listener', lo6, syn, sockRoundTrip(40, syn), dual6],
      ['gen: IPv6 header of 20 bytes, dual-stack listener', lo6, tcpHeader(), gen(20, 20), dual6],
      ['check: th_len 19', lo4, ackTh, check(20, 19), listen4],
      ['check: SYN+ACK', lo4, tcpHeader({ flags: SYN | ACK }), check(20, 20), listen4],
      ['check: no ACK', lo4, tcpHeader({ flags: 0 }), check(20, 20), listen4],
      ['check: iph_len 19', lo4, ackTh, check(19, 20), listen4],
      ['check: an established socket', lo4, ackTh, check(20, 20), conn],
    ];
    for (const [what, ip, th, body, tuple] of cases) {
      const k = agree(t, what, program(ip, th, body, { tuple }), w, mssOnly);
      if (!k) return;
      assert.ok(k.some((x) => x !== 0), `${what}: the kernel returned an error (${k.join(' ')})`);
    }
  } finally {
    await world.close();
  }
});
