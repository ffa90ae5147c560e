/**
 * The socket table and the socket helpers on our engines: lookups by tuple
 * (families, sizes, netns, flags, established before listening, exact
 * address before wildcard), the socket casts, reference counting,
 * skb->sk of a test run, bpf_sk_assign in tc and in sk_lookup, and the
 * errors for bad socket descriptions. The kernel comparison is in
 * sock-kernel.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace } from '../../src/memory/index.js';
import { MapError, u32Bytes } from '../../src/maps/index.js';
import {
  RuntimeError, SocketSpecError, SocketTable, createHelperContext, parseIp, parseSocketSpec, socketHelpers, type SocketSpec,
} from '../../src/helpers/index.js';
import { PacketRuns } from '../../src/helpers/packet.js';
import { Collection, Runtime, TestRunError, type LocalEngine } from '../../src/runtime/index.js';
import { helperIdByName } from '../../src/platform/index.js';
import { ipv4Frame, lookupProgram, programSpec, skLookupCtx, SOCK_FIELDS, type LookupOptions, type Tuple } from './sock-util.js';

const ENGINES: readonly LocalEngine[] = ['interp', 'jit'];
const LISTENER: SocketSpec = { protocol: 'tcp', localIp: '127.0.0.1', localPort: 8080 };
const WORLD: SocketSpec[] = [
  LISTENER,
  { protocol: 'tcp', localIp: '127.0.0.1', localPort: 8080, remoteIp: '10.0.0.9', remotePort: 40000, mark: 7, priority: 3, tcp: { snd_cwnd: 33, bytes_acked: 5n << 32n } },
  { protocol: 'tcp', localIp: '0.0.0.0', localPort: 9090, boundDevIf: 0 },
  { protocol: 'tcp', localIp: '::', localPort: 7070 },
  { protocol: 'tcp', localIp: '2001:db8::1', localPort: 443, cookie: 99n },
  { protocol: 'udp', localIp: '127.0.0.1', localPort: 53 },
  { protocol: 'udp', localIp: '127.0.0.1', localPort: 53, remoteIp: '127.0.0.5', remotePort: 5353 },
  { protocol: 'tcp', localIp: '127.0.0.1', localPort: 8080, remoteIp: '10.0.0.10', remotePort: 40001, state: 'new_syn_recv' },
  { protocol: 'tcp', localIp: '127.0.0.1', localPort: 8080, remoteIp: '10.0.0.11', remotePort: 40002, state: 'time_wait' },
  { protocol: 'tcp', localIp: '127.0.0.1', localPort: 6000, netns: 3 },
];
const FRAME = ipv4Frame('10.1.0.1', '10.2.0.2');

function tcRun(engine: LocalEngine, text: string, sockets: SocketSpec[] = WORLD, frame = FRAME): { retval: number; c: Collection } {
  const c = Collection.load(programSpec('sched_cls', text), { engine, sockets });
  try {
    return { retval: c.programs.prog.testRun({ data: frame }).retval | 0, c };
  } finally {
    c.dispose();
  }
}

const field = (engine: LocalEngine, tuple: Tuple, name: string, o: Partial<LookupOptions> = {}) =>
  tcRun(engine, lookupProgram(tuple, { body: `r8 = *(u32 *)(r7 + ${SOCK_FIELDS[name]})`, ...o })).retval;
const found = (engine: LocalEngine, tuple: Tuple, o: Partial<LookupOptions> = {}) => field(engine, tuple, 'src_port', o);
const be32 = (ip: string) => new DataView(parseIp(ip)!.buffer).getUint32(0, true) | 0;

for (const engine of ENGINES) {
  test(`${engine}: a looked-up socket reads as struct bpf_sock`, () => {
    const est: Tuple = { saddr: '10.0.0.9', sport: 40000, daddr: '127.0.0.1', dport: 8080 };
    const expect: Record<string, number> = {
      bound_dev_if: 0, family: 2, type: 1, protocol: 6, mark: 7, priority: 3, src_ip4: be32('127.0.0.1'), src_ip6_0: 0,
      src_port: 8080, dst_port: ((40000 & 0xff) << 8) | (40000 >> 8), dst_ip4: be32('10.0.0.9'), state: 1, rx_queue_mapping: -1,
    };
    for (const [name, value] of Object.entries(expect)) assert.equal(field(engine, est, name), value, name);
    const v6: Tuple = { saddr: '2001:db8::2', sport: 1, daddr: '2001:db8::1', dport: 443 };
    assert.equal(field(engine, v6, 'family'), 10);
    assert.equal(field(engine, v6, 'src_ip6_0'), be32('32.1.13.184'));
    assert.equal(field(engine, v6, 'src_ip6_3'), be32('0.0.0.1'));
    assert.equal(field(engine, v6, 'state'), 10);
  });

  test(`${engine}: lookups prefer the connected socket, then the exact address, then the wildcard`, () => {
    const est: Tuple = { saddr: '10.0.0.9', sport: 40000, daddr: '127.0.0.1', dport: 8080 };
    assert.equal(field(engine, est, 'state'), 1, 'the four-tuple of the established socket');
    assert.equal(field(engine, { ...est, sport: 1 }, 'state'), 10, 'another peer: the listener');
    assert.equal(found(engine, { ...est, daddr: '192.168.1.1', dport: 9090 }), 9090, 'a wildcard listener');
    assert.equal(found(engine, { ...est, daddr: '192.168.1.1', dport: 7070 }), 7070, 'a dual-stack IPv6 listener takes IPv4');
    assert.equal(found(engine, { ...est, daddr: '192.168.1.1' }), -1, 'nothing on that address');
    assert.equal(found(engine, { ...est, dport: 53 }), -1, 'TCP does not find UDP sockets');
    // UDP: the connected socket scores above the bound one.
    const udp: LookupOptions = { helper: 'bpf_sk_lookup_udp', body: 'r8 = *(u32 *)(r7 + 72)' };
    assert.equal(tcRun(engine, lookupProgram({ saddr: '127.0.0.5', sport: 5353, daddr: '127.0.0.1', dport: 53 }, udp)).retval, 1);
    assert.equal(tcRun(engine, lookupProgram({ saddr: '127.0.0.6', sport: 5353, daddr: '127.0.0.1', dport: 53 }, udp)).retval, 7);
  });

  test(`${engine}: tuple size, flags and netns_id as the kernel checks them`, () => {
    const t: Tuple = { saddr: '1.1.1.1', sport: 1, daddr: '127.0.0.1', dport: 8080 };
    assert.equal(found(engine, t), 8080);
    assert.equal(found(engine, t, { size: 13 }), -1, 'neither sizeof ipv4 nor ipv6');
    assert.equal(found(engine, t, { size: 36 }), -1, 'read as an IPv6 tuple: no such socket');
    assert.equal(found(engine, t, { flags: 1 }), -1, 'flags must be 0');
    assert.equal(found(engine, t, { netns: 'r4 = 0xffffffff ll' }), 8080, 'negative as an s32: the current namespace');
    assert.equal(found(engine, t, { netns: 'r4 = 0x1ffffffff ll' }), 8080);
    assert.equal(found(engine, t, { netns: 'r4 = 0x100000000 ll' }), -1, 'above S32_MAX');
    assert.equal(found(engine, t, { netns: 'r4 = 0' }), -1, 'namespace 0 has no sockets');
    const other: Tuple = { ...t, dport: 6000 };
    assert.equal(found(engine, other), -1, 'a socket of another namespace is not in the current one');
    assert.equal(found(engine, other, { netns: 'r4 = 3' }), 6000, 'found by its namespace id');
  });

  test(`${engine}: request and timewait sockets; sk_fullsock, tcp_sock, get_listener_sock`, () => {
    const req: Tuple = { saddr: '10.0.0.10', sport: 40001, daddr: '127.0.0.1', dport: 8080 };
    const tw: Tuple = { saddr: '10.0.0.11', sport: 40002, daddr: '127.0.0.1', dport: 8080 };
    const skc: Partial<LookupOptions> = { helper: 'bpf_skc_lookup_tcp' };
    assert.equal(field(engine, req, 'state'), 10, 'sk_lookup_tcp: a request socket stands for its listener');
    assert.equal(field(engine, tw, 'state'), -1, 'sk_lookup_tcp: a timewait socket is not a full socket');
    assert.equal(field(engine, req, 'state', skc), 12, 'skc_lookup_tcp returns the request socket');
    assert.equal(field(engine, tw, 'state', skc), 6);
    const cast = (helper: string, off: number) => `r1 = r7\ncall ${helper}\nr8 = -2\nif r0 == 0 goto +1\nr8 = *(u32 *)(r0 + ${off})`;
    assert.equal(field(engine, tw, '', { ...skc, body: cast('bpf_sk_fullsock', 72) }), -2);
    assert.equal(field(engine, req, '', { ...skc, body: cast('bpf_sk_fullsock', 72) }), -2);
    assert.equal(field(engine, req, '', { ...skc, body: cast('bpf_get_listener_sock', 44) }), 8080, 'the request socket\'s listener');
    assert.equal(field(engine, req, '', { ...skc, body: cast('bpf_tcp_sock', 0) }), 10, 'tcp_sock of the listener: TCP_INIT_CWND');
    const est: Tuple = { saddr: '10.0.0.9', sport: 40000, daddr: '127.0.0.1', dport: 8080 };
    assert.equal(field(engine, est, '', { body: cast('bpf_tcp_sock', 0) }), 33, 'snd_cwnd as described');
    assert.equal(field(engine, est, '', { body: cast('bpf_tcp_sock', 28) }), 536, 'mss_cache: TCP_MSS_DEFAULT');
    assert.equal(field(engine, est, '', { body: 'r1 = r7\ncall bpf_tcp_sock\nr8 = -2\nif r0 == 0 goto +2\nr8 = *(u64 *)(r0 + 88)\nr8 >>= 32' }), 5);
    assert.equal(field(engine, est, '', { body: cast('bpf_get_listener_sock', 72) }), -2, 'an established socket is no listener');
    const udp: Tuple = { saddr: '1.1.1.1', sport: 1, daddr: '127.0.0.1', dport: 53 };
    assert.equal(field(engine, udp, '', { helper: 'bpf_sk_lookup_udp', body: cast('bpf_tcp_sock', 0) }), -2, 'UDP has no tcp_sock');
  });

  test(`${engine}: skb->sk of a test run is the kernel's own socket, addressed as the packet`, () => {
    const read = (off: number, size = 'u32') => tcRun(engine, `r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto +2\nr0 = *(${size} *)(r1 + ${off})\nexit\nr0 = -1\nexit`, []).retval;
    assert.equal(read(4), 2);
    assert.equal(read(24), be32('10.1.0.1'));
    assert.equal(read(52), be32('10.2.0.2'));
    assert.equal(read(44), 0);
    assert.equal(read(72), 7, 'TCP_CLOSE');
    assert.equal(read(76), -1);
    const full = (off: number) => tcRun(engine, `r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto +4\ncall bpf_sk_fullsock\nif r0 == 0 goto +2\nr0 = *(u32 *)(r0 + ${off})\nexit\nr0 = -1\nexit`, []).retval;
    assert.equal(full(8), 0, 'no type');
    assert.equal(full(12), 0, 'no protocol');
  });

  test(`${engine}: bpf_sk_assign in a tc test run: EINVAL for flags, EOPNOTSUPP off ingress`, () => {
    const t: Tuple = { saddr: '1.1.1.1', sport: 1, daddr: '127.0.0.1', dport: 8080 };
    const assign = (flags: number) => `r1 = r6\nr2 = r7\nr3 = ${flags}\ncall bpf_sk_assign\nr8 = r0`;
    assert.equal(found(engine, t, { body: assign(0) }), -95);
    assert.equal(found(engine, t, { body: assign(1) }), -22);
  });

  test(`${engine}: an sk_lookup test run: the context, bpf_sk_assign(NULL), SK_PASS/SK_DROP`, () => {
    const ctx = skLookupCtx({ family: 2, protocol: 6, remoteIp: '10.0.0.1', remotePort: 4242, localIp: '127.0.0.1', localPort: 8080 });
    const run = (text: string, input = ctx) => {
      const c = Collection.load(programSpec('sk_lookup', text), { engine, sockets: WORLD });
      try {
        return c.programs.prog.testRun({ ctx: input });
      } finally {
        c.dispose();
      }
    };
    const check = (off: number, value: number) => {
      const c = Collection.load(programSpec('sk_lookup', `r2 = *(u32 *)(r1 + ${off})\nr0 = 0\nif r2 != ${value} goto +1\nr0 = 1\nexit`), { engine });
      try {
        assert.equal(c.programs.prog.testRun({ ctx }).retval, 1, `offset ${off} is ${value}`);
      } finally {
        c.dispose();
      }
    };
    check(8, 2);
    check(12, 6);
    check(16, be32('10.0.0.1'));
    check(20, 0);
    check(36, ((4242 & 0xff) << 8) | (4242 >> 8));
    check(40, be32('127.0.0.1'));
    check(60, 8080);
    const assignNull = (flags: number, ret: number) => `r2 = 0\nr3 = ${flags}\ncall bpf_sk_assign\nr6 = r0\nr0 = ${ret}\nif r6 == 0 goto +1\nr0 = 0\nexit`;
    const ok = run(assignNull(0, 1));
    assert.equal(ok.retval, 1);
    assert.equal(new DataView(ok.ctxOut.buffer).getBigUint64(0, true), 0n, 'no socket selected: cookie 0');
    assert.equal(run(assignNull(4, 1)).retval, 0, 'unknown flags: EINVAL');
    assert.equal(run('r0 = 0\nexit').retval, 0);
    const refused = (input: Uint8Array, errno: string) => assert.throws(() => run('r0 = 1\nexit', input), (e: unknown) => e instanceof TestRunError && e.errno === errno);
    refused(skLookupCtx({ family: 1, protocol: 6, remoteIp: '1.1.1.1', remotePort: 1, localIp: '1.1.1.1', localPort: 1 }), 'EAFNOSUPPORT');
    const bigPort = ctx.slice();
    new DataView(bigPort.buffer).setUint32(60, 0x10000, true);
    refused(bigPort, 'ERANGE');
    const withSk = ctx.slice();
    withSk[0] = 1;
    refused(withSk, 'EINVAL');
    const ifindex = ctx.slice();
    ifindex[64] = 1;
    refused(ifindex, 'EINVAL');
    assert.throws(() => run('r0 = 1\nexit', new Uint8Array()), (e: unknown) => e instanceof TestRunError && e.errno === 'EINVAL');
  });
}

/** The sk_lookup flavour of bpf_sk_assign, called as the engines call it, on sockets of a table. */
test('bpf_sk_assign in sk_lookup: which sockets may be selected, EEXIST and REPLACE, ctx->sk', () => {
  const space = new AddressSpace();
  const table = new SocketTable(space, WORLD);
  const ctx = createHelperContext(space);
  const assign = socketHelpers(table, new PacketRuns()).find((h) => h.id === helperIdByName('sk_assign'))!;
  const region = space.alloc('bpf_sk_lookup', 72, 'ctx', false);
  const run = { ctx: region.start, family: 2, protocol: 6, selected: undefined, noReuseport: false } as NonNullable<SocketTable['lookupRun']>;
  table.lookupRun = run;
  const call = (sk: number, flags: bigint) => BigInt.asIntN(64, assign.fn(ctx, BigInt(run.ctx), BigInt(sk), flags, 0n, 0n));
  const [listener, established, , dual, v6] = table.list();
  const udpBound = table.list()[5];
  assert.equal(call(established.address, 0n), -94n, 'an established TCP socket: ESOCKTNOSUPPORT');
  assert.equal(call(udpBound.address, 0n), -91n, 'a UDP socket for a TCP lookup: EPROTOTYPE');
  assert.equal(call(v6.address, 0n), 0n, 'an IPv6 socket may take IPv4 (not v6only)');
  assert.equal(call(listener.address, 0n), -17n, 'already selected: EEXIST');
  assert.equal(call(listener.address, 3n), 0n, 'BPF_SK_LOOKUP_F_REPLACE | NO_REUSEPORT');
  assert.equal(run.selected, listener);
  assert.equal(run.noReuseport, true);
  assert.equal(space.view.getBigUint64(run.ctx, true), BigInt(listener.address), 'ctx->sk reads the selection');
  assert.equal(call(0, 1n), 0n, 'NULL with REPLACE: no selection');
  assert.equal(run.selected, undefined);
  assert.equal(call(dual.address, 8n), -22n);
  const v6run = { ...run, family: 10, selected: undefined };
  table.lookupRun = v6run;
  assert.equal(BigInt.asIntN(64, assign.fn(ctx, BigInt(run.ctx), BigInt(listener.address), 0n, 0n, 0n)), -97n, 'an IPv4 socket for IPv6: EAFNOSUPPORT');
  assert.throws(() => assign.fn(ctx, BigInt(run.ctx), 12345n, 0n, 0n, 0n), (e: unknown) => e instanceof RuntimeError && /not a socket/.test(e.message));
});

test('bpf_sk_assign in tc at ingress sets skb->sk; release counts references', () => {
  const space = new AddressSpace();
  const table = new SocketTable(space, WORLD);
  const ctx = createHelperContext(space);
  const packets = new PacketRuns();
  const helpers = socketHelpers(table, packets);
  const h = (name: string) => helpers.find((d) => d.id === helperIdByName(name))!;
  const skb = space.alloc('__sk_buff', 192, 'ctx', true);
  packets.current = { kind: 'skb', ctx: skb.start, start: 0, end: 0, data: 0, dataEnd: 0, dataMeta: 0, networkOffset: 14, tcIngress: true };
  const listener = table.list()[0];
  const call = (name: string, ...args: bigint[]) => BigInt.asIntN(64, h(name).fn(ctx, args[0] ?? 0n, args[1] ?? 0n, args[2] ?? 0n, 0n, 0n));
  assert.equal(call('bpf_sk_assign', BigInt(skb.start), 0n, 0n), -22n, 'NULL: EINVAL');
  assert.equal(call('bpf_sk_assign', BigInt(skb.start), BigInt(table.list()[9].address), 0n), -101n, 'another namespace: ENETUNREACH');
  assert.equal(call('bpf_sk_assign', BigInt(skb.start), BigInt(listener.address), 0n), 0n);
  assert.equal(space.view.getBigUint64(skb.start + 168, true), BigInt(listener.address));
  const dummy = table.testRunSocket(ipv4Frame('1.1.1.1', '2.2.2.2'));
  assert.equal(call('bpf_sk_assign', BigInt(skb.start), BigInt(dummy.address), 0n), -95n, 'an unhashed socket: EOPNOTSUPP');
  table.releaseTestRunSocket(dummy);
  assert.throws(() => call('bpf_sk_assign', 8n, BigInt(listener.address), 0n), (e: unknown) => e instanceof RuntimeError && /not the context/.test(e.message));
  assert.throws(() => call('bpf_sk_release', BigInt(listener.address)), (e: unknown) => e instanceof RuntimeError && /holds no reference/.test(e.message));
  assert.equal(call('bpf_tcp_sock', BigInt(listener.tcpAddress)), BigInt(listener.tcpAddress), 'a tcp_sock pointer is a socket argument too');
});

test('a looked-up socket is released by the program: no reference left after the run', () => {
  const c = Collection.load(programSpec('sched_cls', lookupProgram({ saddr: '1.1.1.1', sport: 1, daddr: '127.0.0.1', dport: 8080 }, { body: 'r8 = 0' })), { sockets: WORLD });
  try {
    assert.equal(c.programs.prog.testRun({ data: FRAME }).retval, 0);
    assert.deepEqual(c.runtime.sockets.list().map((s) => s.held), WORLD.map(() => 0));
  } finally {
    c.dispose();
  }
});

test('bad socket descriptions get a SocketSpecError naming the socket and the property', () => {
  const bad: [unknown, RegExp][] = [
    [{ protocol: 'sctp', localIp: '1.1.1.1', localPort: 1 }, /socket 0: protocol must be 'tcp' or 'udp'/],
    [{ protocol: 'tcp', localIp: '1.1.1', localPort: 1 }, /localIp '1.1.1' is not an IPv4 or IPv6 address/],
    [{ protocol: 'tcp', localIp: '1.1.1.1', localPort: 70000 }, /localPort must be an integer from 0 to 65535/],
    [{ protocol: 'tcp', localIp: '1.1.1.1', localPort: 1, remoteIp: '::1', remotePort: 2 }, /not of the family/],
    [{ protocol: 'tcp', localIp: '1.1.1.1', localPort: 1, state: 'half_open' }, /state 'half_open' is not one of/],
    [{ protocol: 'udp', localIp: '1.1.1.1', localPort: 1, state: 'listen' }, /UDP socket is close/],
    [{ protocol: 'tcp', localIp: '1.1.1.1', localPort: 1, state: 'time_wait' }, /needs its peer/],
    [{ protocol: 'tcp', localIp: '1.1.1.1', localPort: 1, v6only: true }, /v6only is for IPv6/],
    [{ protocol: 'udp', localIp: '1.1.1.1', localPort: 1, tcp: { snd_cwnd: 1 } }, /tcp values are for TCP/],
    [{ protocol: 'tcp', localIp: '1.1.1.1', localPort: 1, tcp: { cwnd: 1 } }, /tcp.cwnd is not a member/],
    [{ protocol: 'tcp', localIp: '1.1.1.1', localPort: 1, port: 1 }, /unknown property 'port'/],
    [{ protocol: 'tcp', localIp: '1.1.1.1', localPort: 1, cookie: 0 }, /cookie must be/],
    [{ protocol: 'tcp', localIp: '1.1.1.1', localPort: 1, netns: -1 }, /netns must be an integer/],
  ];
  for (const [spec, message] of bad) {
    assert.throws(() => new SocketTable(new AddressSpace(), [spec as SocketSpec]), (e: unknown) => e instanceof SocketSpecError && e.code === 'ESOCKET' && message.test(e.message), String(message));
  }
  assert.throws(() => new SocketTable(new AddressSpace(), [LISTENER, { ...LISTENER, cookie: 1 }]), /socket 1: cookie 1 is another socket's/);
  const cookies = new SocketTable(new AddressSpace(), [{ ...LISTENER, cookie: 2 }, LISTENER, LISTENER]).list().map((x) => x.cookie);
  assert.deepEqual(cookies, [2n, 3n, 4n], 'a default cookie skips the ones given');
  assert.throws(() => Collection.load(programSpec('sched_cls', 'r0 = 0\nexit'), { sockets: [{ ...LISTENER, localPort: -1 }] }), SocketSpecError);
});

test('parseIp: IPv4, IPv6 with ::, embedded IPv4; junk is undefined', () => {
  assert.deepEqual([...parseIp('10.0.0.255')!], [10, 0, 0, 255]);
  assert.deepEqual([...parseIp('::1')!], [...new Array(15).fill(0), 1]);
  assert.deepEqual([...parseIp('::ffff:1.2.3.4')!], [...new Array(10).fill(0), 0xff, 0xff, 1, 2, 3, 4]);
  assert.deepEqual([...parseIp('2001:db8:0:0:0:0:0:1')!], [...parseIp('2001:db8::1')!]);
  for (const junk of ['256.0.0.1', '1::2::3', '1:2:3:4:5:6:7', 'g::1', '', 'localhost']) assert.equal(parseIp(junk), undefined, junk);
});

test('parseSocketSpec: the --socket line as a socket description', () => {
  assert.deepEqual(parseSocketSpec('tcp 127.0.0.1:8080'), { protocol: 'tcp', localIp: '127.0.0.1', localPort: 8080 });
  assert.deepEqual(parseSocketSpec(' udp [::1]:53  [2001:db8::2]:99 established mark=7 netns=0x3 cookie=18446744073709551615 reuseport v6only'), {
    protocol: 'udp', localIp: '::1', localPort: 53, remoteIp: '2001:db8::2', remotePort: 99, state: 'established', mark: 7, netns: 3,
    cookie: (1n << 64n) - 1n, reuseport: true, v6only: true,
  });
  assert.deepEqual(parseSocketSpec('tcp 1.1.1.1:1 tcp.snd_cwnd=20 tcp.bytes_acked=0x100000000').tcp, { snd_cwnd: 20, bytes_acked: 1n << 32n });
  for (const [line, message] of [
    ['sctp 1.1.1.1:1', /starts with its protocol/],
    ['tcp 1.1.1.1', /needs its local address as ADDR:PORT/],
    ['tcp 1.1.1.1:1 mark=lots', /mark=lots: the value is not an integer/],
    ['tcp 1.1.1.1:1 colour=3', /unknown key 'colour'/],
    ['tcp 1.1.1.1:1 2.2.2.2:2 3.3.3.3:3', /'3.3.3.3:3' is neither/],
  ] as const) {
    assert.throws(() => parseSocketSpec(line), (e: unknown) => e instanceof SocketSpecError && message.test(e.message), line);
  }
});

test('lookups search the sockets bound to the address before the wildcard ones, then score devices and families', () => {
  const space = new AddressSpace();
  const table = new SocketTable(space, [
    { protocol: 'tcp', localIp: '0.0.0.0', localPort: 80, boundDevIf: 1 },
    { protocol: 'tcp', localIp: '127.0.0.1', localPort: 80 },
    { protocol: 'tcp', localIp: '::', localPort: 81 },
    { protocol: 'tcp', localIp: '0.0.0.0', localPort: 81 },
    { protocol: 'tcp', localIp: '0.0.0.0', localPort: 82, boundDevIf: 2 },
    { protocol: 'udp', localIp: '0.0.0.0', localPort: 53, boundDevIf: 1 },
    { protocol: 'udp', localIp: '127.0.0.1', localPort: 53 },
  ]);
  const ip = (s: string) => parseIp(s)!;
  const find = (protocol: number, dport: number) => table.lookup(2, protocol, undefined, ip('10.0.0.1'), 1000, ip('127.0.0.1'), dport, 1);
  const [devWild, exact, dual, v4wild, , , udpExact] = table.list();
  assert.equal(find(6, 80), exact, 'the address before a wildcard bound to the device');
  assert.equal(find(6, 81), v4wild, 'an IPv4 socket scores above a dual-stack one');
  assert.notEqual(find(6, 81), dual);
  assert.equal(find(6, 82), undefined, 'bound to another device');
  assert.equal(find(17, 53), udpExact);
  assert.ok(devWild);
});

test('an sk_lookup test run selects a socket: its cookie in ctx_out, a fresh selection each repeat, EOPNOTSUPP for a reuseport group', () => {
  for (const engine of ENGINES) {
    const runtime = new Runtime({
      engine, sockets: [{ ...LISTENER, cookie: 77n }, { protocol: 'tcp', localIp: '127.0.0.1', localPort: 9000, reuseport: true }],
    });
    try {
      const [listener, grouped] = runtime.sockets.list();
      // No verified program can name a socket without a sockmap: these hold its address as a constant.
      const select = (sk: number, flags: number) => `r2 = ${sk} ll\nr3 = ${flags}\ncall bpf_sk_assign\nif r0 != 0 goto +2\nr0 = 1\nexit\nr0 = 0\nexit`;
      const ctx = skLookupCtx({ family: 2, protocol: 6, remoteIp: '10.0.0.1', remotePort: 1, localIp: '127.0.0.1', localPort: 8080 });
      const run = (text: string, repeat = 1) => {
        const c = Collection.load(programSpec('sk_lookup', text), { runtime, verify: false });
        return c.programs.prog.testRun({ ctx, repeat });
      };
      const r = run(select(listener.address, 0), 3);
      assert.equal(r.retval, 1, `${engine}: no EEXIST from an earlier repeat`);
      assert.equal(new DataView(r.ctxOut.buffer).getBigUint64(0, true), 77n);
      assert.equal(run(select(grouped.address, 2)).retval, 1, 'BPF_SK_LOOKUP_F_NO_REUSEPORT');
      assert.throws(() => run(select(grouped.address, 0)), (e: unknown) => e instanceof TestRunError && e.errno === 'EOPNOTSUPP');
      const dropped = run(`r2 = ${listener.address} ll\nr3 = 0\ncall bpf_sk_assign\nr0 = 0\nexit`);
      assert.deepEqual([dropped.retval, new DataView(dropped.ctxOut.buffer).getBigUint64(0, true)], [0, 0n], 'SK_DROP discards the selection');
    } finally {
      runtime.dispose();
    }
  }
});

test('runtime.sockets.add: a socket described after the runtime was made is found too', () => {
  const runtime = new Runtime({ engine: 'interp' });
  try {
    const text = lookupProgram({ saddr: '1.1.1.1', sport: 1, daddr: '127.0.0.1', dport: 8080 }, { body: 'r8 = *(u32 *)(r7 + 44)' });
    const c = Collection.load(programSpec('sched_cls', text), { runtime });
    assert.equal(c.programs.prog.testRun({ data: FRAME }).retval | 0, -1);
    runtime.sockets.add(LISTENER);
    assert.equal(c.programs.prog.testRun({ data: FRAME }).retval, 8080);
    assert.throws(() => runtime.sockets.add({ ...LISTENER, protocol: 'icmp' as 'tcp' }), SocketSpecError);
  } finally {
    runtime.dispose();
  }
});

test('a sockmap holds sockets of the table by cookie: the kernel\'s create, update, lookup and delete errors; a program lookup takes a reference', () => {
  const runtime = new Runtime({ engine: 'interp', sockets: WORLD });
  try {
    const reg = runtime.registry;
    const errno = (f: () => unknown, name: string) => assert.throws(f, (e: unknown) => e instanceof MapError && e.code === name, name);
    errno(() => reg.create({ type: 'sockmap', keySize: 4, valueSize: 2, maxEntries: 1 }), 'EINVAL');
    errno(() => reg.create({ type: 'sockmap', keySize: 8, valueSize: 8, maxEntries: 1 }), 'EINVAL');
    errno(() => reg.create({ type: 'sockmap', keySize: 4, valueSize: 8, maxEntries: 0 }), 'EINVAL');
    const map = reg.create({ type: 'sockmap', keySize: 4, valueSize: 8, maxEntries: 2 });
    const small = reg.create({ type: 'sockmap', keySize: 4, valueSize: 4, maxEntries: 1 });
    const k = (i: number) => u32Bytes(i);
    const v = (n: bigint) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, n, true); return b; };
    const [listener] = runtime.sockets.list();
    errno(() => map.update(k(0), v(1000n)), 'EBADF');
    errno(() => map.update(k(0), v(1n << 40n)), 'EINVAL');
    errno(() => map.update(k(0), v(9n)), 'EOPNOTSUPP');
    errno(() => map.update(k(2), v(1n)), 'E2BIG');
    errno(() => map.update(k(0), v(1n), 2), 'ENOENT');
    map.update(k(0), v(1n));
    errno(() => map.update(k(0), v(2n), 1), 'EEXIST');
    errno(() => map.update(k(0), v(1n), 4), 'EINVAL');
    assert.deepEqual(map.lookup(k(0)), v(listener.cookie));
    small.update(k(0), u32Bytes(6));
    errno(() => small.lookup(k(0)), 'ENOSPC');
    assert.equal(map.lookupElem(runtime.space.alloc('key', 4, 'data').start, 0), listener.address);
    assert.equal(listener.held, 1, 'a program lookup holds a reference');
    map.delete(k(0));
    errno(() => map.delete(k(0)), 'EINVAL');
    errno(() => map.delete(k(5)), 'EINVAL');
    errno(() => new Runtime({ engine: 'interp' }).registry.create({ type: 'sockmap', keySize: 4, valueSize: 8, maxEntries: 1 }).update(k(0), v(1n)), 'EBADF');
  } finally {
    runtime.dispose();
  }
});
