/**
 * The kernel as the oracle for the socket helpers: real sockets of this
 * process (a TCP listener, an accepted connection, a bound UDP socket, an
 * IPv6 listener) are looked up by tc programs through BPF_PROG_TEST_RUN, and
 * the same programs run on our interpreter and JIT over a socket table
 * that describes the same sockets; every field read must agree. The same
 * for skb->sk of a test run and for sk_lookup test runs.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCollectionSpec, type CollectionSpec } from '../../src/elf/index.js';
import type { SocketSpec } from '../../src/helpers/index.js';
import { loadCollection, type EngineKind } from '../../src/runtime/index.js';
import { SOCK_BTF_FIELDS } from '../../src/platform/index.js';
import { btfStructAccess, btfStructId } from '../../src/verifier/btf-ptr.js';
import { kernelOrSkip } from '../kernel/env.js';
import { repoRoot } from '../paths.js';
import { ipv4Frame, listenTcp, lookupProgram, loopbackConnection, programSpec, skLookupCtx, SOCK_FIELDS, type LookupOptions, type Tuple } from './sock-util.js';

const ENGINES: readonly EngineKind[] = ['kernel', 'interp', 'jit'];

/** Listen, connect and bind on the loopback; the sockets as a table describes them; close them all. */
async function openWorld(): Promise<{ sockets: SocketSpec[]; ports: Record<string, number>; close: () => Promise<void> }> {
  const { server, port, client, peer } = await loopbackConnection();
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const udpc = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => udpc.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => udpc.connect(udp.address().port, '127.0.0.1', resolve));
  const { server: server6, port: port6 } = await listenTcp('::1', true);
  const ports = { tcp: port, client: client.localPort!, udp: udp.address().port, udpc: udpc.address().port, tcp6: port6 };
  const sockets: SocketSpec[] = [
    { protocol: 'tcp', localIp: '127.0.0.1', localPort: ports.tcp },
    { protocol: 'tcp', localIp: '127.0.0.1', localPort: ports.tcp, remoteIp: '127.0.0.1', remotePort: ports.client },
    { protocol: 'tcp', localIp: '127.0.0.1', localPort: ports.client, remoteIp: '127.0.0.1', remotePort: ports.tcp },
    { protocol: 'udp', localIp: '127.0.0.1', localPort: ports.udp },
    { protocol: 'udp', localIp: '127.0.0.1', localPort: ports.udpc, remoteIp: '127.0.0.1', remotePort: ports.udp },
    { protocol: 'tcp', localIp: '::1', localPort: ports.tcp6, v6only: true },
  ];
  return {
    sockets, ports,
    close: async () => {
      client.destroy();
      peer.destroy();
      udp.close();
      udpc.close();
      await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => server6.close(r))]);
    },
  };
}

/** retval of a tc (or xdp) test run of `text` on every engine, keyed by engine. */
function runAll(t: TestContext, spec: () => CollectionSpec, sockets: SocketSpec[], input: { data?: Uint8Array; ctx?: Uint8Array }): Record<string, { retval: number; ctxOut: Uint8Array }> | undefined {
  const out: Record<string, { retval: number; ctxOut: Uint8Array }> = {};
  for (const engine of ENGINES) {
    let c;
    if (engine === 'kernel') {
      const kernel = kernelOrSkip(t);
      if (!kernel) return undefined;
      c = loadCollection(spec(), { engine, kernel });
    } else {
      c = loadCollection(spec(), { engine, sockets });
    }
    try {
      const r = c.programs.prog.testRun(input);
      out[engine] = { retval: r.retval | 0, ctxOut: r.ctxOut };
    } finally {
      c.dispose();
    }
  }
  return out;
}

const FRAME = ipv4Frame('10.1.0.1', '10.2.0.2');

/** offsetof(struct sock, sk_user_data): a `void *` the verifier reads as rdonly_untrusted_mem. */
const SK_USER_DATA = 656;
assert.equal(btfStructAccess(btfStructId('sock')!, SK_USER_DATA, 8).kind, 'mem', 'sk_user_data is a pointer to no struct');

/** The same retval on every engine (reported with the kernel's), or undefined when the kernel is unreachable. */
function agree(t: TestContext, what: string, type: 'sched_cls' | 'xdp', text: string, sockets: SocketSpec[]): number | undefined {
  const r = runAll(t, () => programSpec(type, text), sockets, { data: FRAME });
  if (!r) return undefined;
  assert.equal(r.interp.retval, r.kernel.retval, `${what}: interp ${r.interp.retval}, kernel ${r.kernel.retval}`);
  assert.equal(r.jit.retval, r.kernel.retval, `${what}: jit ${r.jit.retval}, kernel ${r.kernel.retval}`);
  return r.kernel.retval;
}

/** The lookups that find each socket of the world (openWorld), by name: the tuple and how to look it up. */
function worldLookups(ports: Record<string, number>): Record<string, [Tuple, Partial<LookupOptions>]> {
  return {
    listener: [{ saddr: '127.0.0.1', sport: 1, daddr: '127.0.0.1', dport: ports.tcp }, {}],
    accepted: [{ saddr: '127.0.0.1', sport: ports.client, daddr: '127.0.0.1', dport: ports.tcp }, {}],
    client: [{ saddr: '127.0.0.1', sport: ports.tcp, daddr: '127.0.0.1', dport: ports.client }, {}],
    udp: [{ saddr: '127.0.0.1', sport: 9, daddr: '127.0.0.1', dport: ports.udp }, { helper: 'bpf_sk_lookup_udp' }],
    udpConnected: [{ saddr: '127.0.0.1', sport: ports.udp, daddr: '127.0.0.1', dport: ports.udpc }, { helper: 'bpf_sk_lookup_udp' }],
    listener6: [{ saddr: '::1', sport: 1, daddr: '::1', dport: ports.tcp6 }, {}],
    skc: [{ saddr: '127.0.0.1', sport: 1, daddr: '127.0.0.1', dport: ports.tcp }, { helper: 'bpf_skc_lookup_tcp' }],
  };
}

test('socket lookups on real sockets: every struct bpf_sock field as the kernel reads it', async (t) => {
  if (!kernelOrSkip(t)) return;
  const world = await openWorld();
  try {
    const { ports, sockets } = world;
    const tuples = worldLookups(ports);
    let compared = 0;
    for (const [name, [tuple, o]] of Object.entries(tuples)) {
      // A socket records the receive queue of a packet it takes (sk_rx_queue_set): the test's traffic and its timing decide
      // it (one full run read 0 from the kernel where earlier ones read -1), so it is not compared; sock.test.ts checks ours.
      const fields = o.helper === 'bpf_skc_lookup_tcp' ? ['family', 'src_ip4', 'src_port', 'state']
        : Object.keys(SOCK_FIELDS).filter((f) => f !== 'rx_queue_mapping');
      for (const f of fields) {
        const got = agree(t, `${name}.${f}`, 'sched_cls', lookupProgram(tuple, { ...o, body: `r8 = *(u32 *)(r7 + ${SOCK_FIELDS[f]})` }), sockets);
        if (f === 'family') assert.equal(got, name === 'listener6' ? 10 : 2, `${name} is found`);
        compared++;
      }
    }
    // XDP looks up in the same tables.
    agree(t, 'xdp listener.state', 'xdp', lookupProgram(tuples.listener[0], { body: 'r8 = *(u32 *)(r7 + 72)' }), sockets);
    assert.ok(compared > 60);
  } finally {
    await world.close();
  }
});

test('lookup arguments, the socket casts and bpf_sk_assign agree with the kernel', async (t) => {
  if (!kernelOrSkip(t)) return;
  const world = await openWorld();
  try {
    const { ports, sockets } = world;
    const listener: Tuple = { saddr: '127.0.0.1', sport: 1, daddr: '127.0.0.1', dport: ports.tcp };
    const accepted: Tuple = { saddr: '127.0.0.1', sport: ports.client, daddr: '127.0.0.1', dport: ports.tcp };
    const cases: [string, Tuple, Partial<LookupOptions>][] = [
      ['size 13', listener, { size: 13 }],
      ['size 36 for an IPv4 tuple', listener, { size: 36 }],
      ['size 0', listener, { size: 0 }],
      ['flags 1', listener, { flags: 1 }],
      ['netns 0', listener, { netns: 'r4 = 0' }],
      ['netns 0xffffffff', listener, { netns: 'r4 = 0xffffffff ll' }],
      ['netns 0x1ffffffff', listener, { netns: 'r4 = 0x1ffffffff ll' }],
      ['netns 0x100000000', listener, { netns: 'r4 = 0x100000000 ll' }],
      ['no such port', { ...listener, dport: ports.udp }, {}],
      ['udp lookup of a tcp port', listener, { helper: 'bpf_sk_lookup_udp' }],
    ];
    for (const [what, tuple, o] of cases) agree(t, what, 'sched_cls', lookupProgram(tuple, { body: 'r8 = *(u32 *)(r7 + 44)', ...o }), sockets);
    const cast = (helper: string, off: number) => `r1 = r7\ncall ${helper}\nr8 = -2\nif r0 == 0 goto +1\nr8 = *(u32 *)(r0 + ${off})`;
    // struct bpf_tcp_sock of the listener: a fresh socket's values (an established one's change as it runs).
    for (const off of [0, 4, 8, 12, 16, 20, 24, 28, 32, 44, 52, 76, 96, 108]) agree(t, `tcp_sock +${off}`, 'sched_cls', lookupProgram(listener, { body: cast('bpf_tcp_sock', off) }), sockets);
    agree(t, 'fullsock of the listener', 'sched_cls', lookupProgram(listener, { body: cast('bpf_sk_fullsock', 72) }), sockets);
    agree(t, 'listener of the listener', 'sched_cls', lookupProgram(listener, { body: cast('bpf_get_listener_sock', 44) }), sockets);
    agree(t, 'listener of an established socket', 'sched_cls', lookupProgram(accepted, { body: cast('bpf_get_listener_sock', 44) }), sockets);
    agree(t, 'tcp_sock of a UDP socket', 'sched_cls', lookupProgram({ ...listener, dport: ports.udp }, { helper: 'bpf_sk_lookup_udp', body: cast('bpf_tcp_sock', 0) }), sockets);
    for (const flags of [0, 1]) {
      const r = agree(t, `sk_assign flags ${flags}`, 'sched_cls', lookupProgram(listener, { body: `r1 = r6\nr2 = r7\nr3 = ${flags}\ncall bpf_sk_assign\nr8 = r0` }), sockets);
      if (r !== undefined) assert.ok(r < 0, 'a test run is not at tc ingress');
    }
  } finally {
    await world.close();
  }
});

test('skb->sk of a tc test run agrees with the kernel\'s', (t) => {
  const read = (off: number) => `r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto +2\nr0 = *(u32 *)(r1 + ${off})\nexit\nr0 = -1\nexit`;
  for (const off of [0, 4, 24, 28, 44, 48, 52, 56, 72, 76]) if (agree(t, `skb->sk +${off}`, 'sched_cls', read(off), []) === undefined) return;
  const full = (off: number) => `r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto +4\ncall bpf_sk_fullsock\nif r0 == 0 goto +2\nr0 = *(u32 *)(r0 + ${off})\nexit\nr0 = -1\nexit`;
  for (const off of [8, 12, 16, 20]) agree(t, `fullsock(skb->sk) +${off}`, 'sched_cls', full(off), []);
  agree(t, 'tcp_sock(skb->sk)', 'sched_cls', 'r0 = 0\nr1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto +3\ncall bpf_tcp_sock\nif r0 == 0 goto +1\nr0 = 1\nexit', []);
  // The test run's socket is of no protocol: every cast gives NULL.
  for (const helper of ['bpf_skc_to_tcp_sock', 'bpf_skc_to_udp6_sock', 'bpf_skc_to_tcp_timewait_sock', 'bpf_skc_to_tcp_request_sock', 'bpf_skc_to_unix_sock']) {
    agree(t, `${helper}(skb->sk)`, 'sched_cls', `r0 = 0\nr1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto +3\ncall ${helper}\nif r0 == 0 goto +1\nr0 = 1\nexit`, []);
  }
});

test('sk_lookup test runs agree with the kernel: the context, bpf_sk_assign(NULL, flags), the verdict, ctx_out', (t) => {
  const ctx4 = skLookupCtx({ family: 2, protocol: 6, remoteIp: '10.0.0.1', remotePort: 4242, localIp: '127.0.0.1', localPort: 8080 });
  const ctx6 = skLookupCtx({ family: 10, protocol: 17, remoteIp: '2001:db8::5', remotePort: 53, localIp: '::1', localPort: 5353 });
  const programs: [string, string][] = [
    ...[8, 12, 16, 20, 32, 36, 40, 44, 56, 60, 64].map((off): [string, string] => [`ctx +${off}`, `r0 = *(u32 *)(r1 + ${off})\nr0 &= 1\nexit`]),
    ['ctx->sk before a selection', 'r0 = *(u64 *)(r1 + 0)\nif r0 == 0 goto +1\nr0 = 1\nexit'],
    ...[0, 1, 2, 3, 4].map((flags): [string, string] => [`assign NULL flags ${flags}`, `r2 = 0\nr3 = ${flags}\ncall bpf_sk_assign\nr0 = 1\nif r0 != 0 goto +1\nexit\nr0 = 0\nexit`]),
    ['SK_DROP', 'r0 = 0\nexit'],
    ['SK_PASS', 'r0 = 1\nexit'],
  ];
  for (const ctx of [ctx4, ctx6]) {
    for (const [what, text] of programs) {
      // Each field's bit 0 is the verdict: the kernel gives back only SK_PASS or SK_DROP.
      const r = runAll(t, () => programSpec('sk_lookup', text), [], { ctx });
      if (!r) return;
      for (const engine of ['interp', 'jit']) {
        assert.equal(r[engine].retval, r.kernel.retval, `${what}: ${engine} ${r[engine].retval}, kernel ${r.kernel.retval}`);
        assert.deepEqual(r[engine].ctxOut, r.kernel.ctxOut, `${what}: ctx_out on ${engine}`);
      }
    }
  }
  // The field values themselves: a program that returns SK_PASS only when a field holds what ctx_in said.
  const check = (off: number, value: number) => `r2 = *(u32 *)(r1 + ${off})\nr0 = 0\nif r2 != ${value} goto +1\nr0 = 1\nexit`;
  const v = new DataView(ctx4.buffer);
  for (const off of [8, 12, 16, 36, 40, 60]) {
    const r = runAll(t, () => programSpec('sk_lookup', check(off, v.getInt32(off, true))), [], { ctx: ctx4 });
    if (!r) return;
    assert.deepEqual([r.kernel.retval, r.interp.retval, r.jit.retval], [1, 1, 1], `ctx +${off}`);
  }
});

test('an sk_lookup program steers to a socket from a sockmap: the kernel with a real listener, ours with the same socket', async (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const { server, port } = await listenTcp('127.0.0.1');
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  const spec = () => loadCollectionSpec(readFileSync(join(repoRoot, 'testdata', 'obj', 'sockets.o')));
  const key = new Uint8Array(4);
  const u64 = (n: bigint) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, n, true); return b; };
  try {
    const k = loadCollection(spec(), { engine: 'kernel', kernel, programs: ['sk_lookup_redirect'] });
    let cookie: bigint;
    const results: Record<string, [number, string][]> = {};
    const ctxs = [8080, 9090].flatMap((localPort) => [6, 17].map((protocol) => skLookupCtx({ family: 2, protocol, remoteIp: '10.0.0.1', remotePort: 1, localIp: '127.0.0.1', localPort })));
    const runs = (c: ReturnType<typeof loadCollection>) => ctxs.map((ctx): [number, string] => {
      const r = c.programs.sk_lookup_redirect.testRun({ ctx });
      return [r.retval, Buffer.from(r.ctxOut).toString('hex')];
    });
    try {
      results.kernelEmpty = runs(k);
      k.maps.redir_map.update(key, u64(BigInt(fd)));
      cookie = new DataView(k.maps.redir_map.lookup(key)!.buffer).getBigUint64(0, true);
      results.kernel = runs(k);
    } finally {
      k.dispose();
    }
    for (const engine of ['interp', 'jit'] as const) {
      const c = loadCollection(spec(), { engine, programs: ['sk_lookup_redirect'], sockets: [{ protocol: 'tcp', localIp: '127.0.0.1', localPort: port, cookie }] });
      try {
        assert.deepEqual(runs(c), results.kernelEmpty, `${engine}: an empty sockmap`);
        c.maps.redir_map.update(key, u64(cookie));
        assert.deepEqual(c.maps.redir_map.lookup(key), u64(cookie), 'userspace reads the cookie back');
        assert.deepEqual(runs(c), results.kernel, `${engine}: the listener selected for TCP, EPROTOTYPE for UDP`);
      } finally {
        c.dispose();
      }
    }
    assert.ok(results.kernel.some(([retval]) => retval === 1) && results.kernel.some(([retval]) => retval === 0));
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('bpf_skc_to_* on real sockets: sock_common, sock and tcp_sock fields read at the kernel\'s offsets agree with the kernel', async (t) => {
  if (!kernelOrSkip(t)) return;
  const world = await openWorld();
  try {
    const { ports, sockets } = world;
    const { listener, accepted, udp, listener6, skc } = worldLookups(ports);
    const tuples = { listener, accepted, udp, listener6, skc };
    const S = SOCK_BTF_FIELDS.sock, T = SOCK_BTF_FIELDS.tcp_sock;
    const load = (f: { offset: number; size: number }, at = 0) => `r8 = *(${({ 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const)[f.size as 1 | 2 | 4 | 8]} *)(r0 + ${f.offset + at})`;
    // What a lookup finds, through each cast: -2 when the cast gives NULL.
    const cast = (helper: string, body: string) => `r1 = r7\ncall ${helper}\nr8 = -2\nif r0 == 0 goto +${body.split('\n').length}\n${body}`;
    const reads: [string, string][] = [
      ['skc_family', load(S.skc_family)], ['skc_state', load(S.skc_state)], ['skc_num', load(S.skc_num)], ['skc_dport', load(S.skc_dport)],
      ['skc_daddr', load(S.skc_daddr)], ['skc_rcv_saddr', load(S.skc_rcv_saddr)], ['skc_bound_dev_if', load(S.skc_bound_dev_if)],
      ...[0, 4, 8, 12].map((at): [string, string] => [`skc_v6_rcv_saddr+${at}`, load({ offset: S.skc_v6_rcv_saddr.offset, size: 4 }, at)]),
      ...[0, 4, 8, 12].map((at): [string, string] => [`skc_v6_daddr+${at}`, load({ offset: S.skc_v6_daddr.offset, size: 4 }, at)]),
      ['sk_type', load(S.sk_type)], ['sk_protocol', load(S.sk_protocol)], ['sk_mark', load(S.sk_mark)], ['sk_priority', load(S.sk_priority)],
    ];
    // A fresh (listening) socket's TCP values; an established one's move with its traffic.
    const tcpReads: [string, string][] = (['snd_cwnd', 'snd_ssthresh', 'mss_cache', 'total_retrans', 'bytes_acked'] as const)
      .map((name): [string, string] => [name, load(T[name])]);
    let compared = 0;
    for (const [name, [tuple, o]] of Object.entries(tuples)) {
      for (const helper of ['bpf_skc_to_tcp_sock', 'bpf_skc_to_tcp6_sock', 'bpf_skc_to_udp6_sock', 'bpf_skc_to_tcp_timewait_sock', 'bpf_skc_to_tcp_request_sock', 'bpf_skc_to_unix_sock', 'bpf_skc_to_mptcp_sock']) {
        const found = agree(t, `${name} ${helper}`, 'sched_cls', lookupProgram(tuple, { ...o, body: cast(helper, 'r8 = 1') }), sockets);
        compared++;
        if (found !== 1) continue;
        const all = helper === 'bpf_skc_to_tcp_sock' && name === 'listener' ? [...reads, ...tcpReads] : reads;
        for (const [field, body] of all) {
          agree(t, `${name} ${helper} ${field}`, 'sched_cls', lookupProgram(tuple, { ...o, body: cast(helper, body) }), sockets);
          compared++;
        }
      }
    }
    assert.ok(compared > 80, `${compared} reads compared`);
    // A NULL pointer member (sk_user_data: no one attached data to these sockets) read through: PROBE_MEM gives 0.
    const probe = cast('bpf_skc_to_tcp_sock', `r1 = *(u64 *)(r0 + ${SK_USER_DATA})\nr8 = *(u32 *)(r1 + 8)\nr8 += 7`);
    assert.equal(agree(t, 'through a NULL sk_user_data', 'sched_cls', lookupProgram(tuples.listener[0], { body: probe }), sockets), 7);
  } finally {
    await world.close();
  }
});

test('a real TIME_WAIT socket: bpf_skc_to_tcp_timewait_sock takes it, and reads its sock_common as the kernel does', async (t) => {
  if (!kernelOrSkip(t)) return;
  const server = net.createServer((peer) => peer.on('end', () => peer.end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    // The side that closes first keeps the connection in TIME_WAIT once the peer has closed too.
    const client = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', resolve));
    const clientPort = client.localPort!;
    client.end();
    await new Promise<void>((resolve) => client.once('close', () => resolve()));
    const sockets: SocketSpec[] = [
      { protocol: 'tcp', localIp: '127.0.0.1', localPort: port },
      { protocol: 'tcp', localIp: '127.0.0.1', localPort: clientPort, remoteIp: '127.0.0.1', remotePort: port, state: 'time_wait' },
    ];
    const tuple: Tuple = { saddr: '127.0.0.1', sport: port, daddr: '127.0.0.1', dport: clientPort };
    const S = SOCK_BTF_FIELDS.sock;
    const cast = (helper: string, body: string) => lookupProgram(tuple, { helper: 'bpf_skc_lookup_tcp', body: `r1 = r7\ncall ${helper}\nr8 = -2\nif r0 == 0 goto +1\n${body}` });
    assert.equal(agree(t, 'timewait cast', 'sched_cls', cast('bpf_skc_to_tcp_timewait_sock', 'r8 = 1'), sockets), 1);
    assert.equal(agree(t, 'tcp_sock cast of a timewait socket', 'sched_cls', cast('bpf_skc_to_tcp_sock', 'r8 = 1'), sockets), -2);
    for (const [name, f] of Object.entries(S).filter(([n]) => ['skc_family', 'skc_state', 'skc_num', 'skc_dport', 'skc_daddr', 'skc_rcv_saddr'].includes(n))) {
      const load = `r8 = *(${({ 1: 'u8', 2: 'u16', 4: 'u32' } as const)[f.size as 1 | 2 | 4]} *)(r0 + ${f.offset})`;
      agree(t, `timewait ${name}`, 'sched_cls', cast('bpf_skc_to_tcp_timewait_sock', load), sockets);
    }
  } finally {
    await new Promise((r) => server.close(r));
  }
});
