/**
 * The bpf_skc_to_* casts on our engines: which sockets of a table each one
 * takes, the kernel struct layout they return (sock_common, sock and
 * tcp_sock members at the kernel's offsets, from the shipped BTF), loads
 * through a NULL pointer member (BPF_PROBE_MEM: 0), and releasing a
 * looked-up socket through its cast. The kernel comparison is in
 * sock-kernel.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SocketSpec } from '../../src/helpers/index.js';
import { SOCK_BTF_FIELDS } from '../../src/platform/index.js';
import { Collection, type LocalEngine } from '../../src/runtime/index.js';
import { ipv4Frame, lookupProgram, programSpec, type LookupOptions, type Tuple } from './sock-util.js';

const ENGINES: readonly LocalEngine[] = ['interp', 'jit'];
const WORLD: SocketSpec[] = [
  { protocol: 'tcp', localIp: '127.0.0.1', localPort: 8080 },
  { protocol: 'tcp', localIp: '127.0.0.1', localPort: 8080, remoteIp: '10.0.0.9', remotePort: 40000, mark: 7, priority: 3, tcp: { snd_cwnd: 33, bytes_acked: 5n << 32n } },
  { protocol: 'tcp', localIp: '2001:db8::1', localPort: 443, boundDevIf: 1 },
  { protocol: 'udp', localIp: '127.0.0.1', localPort: 53 },
  { protocol: 'udp', localIp: '2001:db8::1', localPort: 53 },
  { protocol: 'tcp', localIp: '127.0.0.1', localPort: 8080, remoteIp: '10.0.0.10', remotePort: 40001, state: 'new_syn_recv' },
  { protocol: 'tcp', localIp: '127.0.0.1', localPort: 8080, remoteIp: '10.0.0.11', remotePort: 40002, state: 'time_wait' },
];
const S = SOCK_BTF_FIELDS.sock, T = SOCK_BTF_FIELDS.tcp_sock;
const SIZE = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;
const load = (f: { offset: number; size: number }, at = 0, size = f.size) => `r8 = *(${SIZE[size as 1 | 2 | 4 | 8]} *)(r0 + ${f.offset + at})`;

const tuples: Record<string, [Tuple, Partial<LookupOptions>]> = {
  established: [{ saddr: '10.0.0.9', sport: 40000, daddr: '127.0.0.1', dport: 8080 }, {}],
  listener6: [{ saddr: '2001:db8::2', sport: 1, daddr: '2001:db8::1', dport: 443 }, {}],
  udp: [{ saddr: '127.0.0.1', sport: 9, daddr: '127.0.0.1', dport: 53 }, { helper: 'bpf_sk_lookup_udp' }],
  udp6: [{ saddr: '2001:db8::2', sport: 9, daddr: '2001:db8::1', dport: 53 }, { helper: 'bpf_sk_lookup_udp' }],
  request: [{ saddr: '10.0.0.10', sport: 40001, daddr: '127.0.0.1', dport: 8080 }, { helper: 'bpf_skc_lookup_tcp' }],
  timewait: [{ saddr: '10.0.0.11', sport: 40002, daddr: '127.0.0.1', dport: 8080 }, { helper: 'bpf_skc_lookup_tcp' }],
};

/** Look `name` up, cast it with `helper` and run `body` on the cast (r0); -2 when the cast gives NULL. */
function castRun(engine: LocalEngine, name: string, helper: string, body = 'r8 = 1'): number {
  const [tuple, o] = tuples[name];
  const text = lookupProgram(tuple, { ...o, body: `r1 = r7\ncall ${helper}\nr8 = -2\nif r0 == 0 goto +${body.split('\n').length}\n${body}` });
  const c = Collection.load(programSpec('sched_cls', text), { engine, sockets: WORLD });
  try {
    return c.programs.prog.testRun({ data: ipv4Frame('10.1.0.1', '10.2.0.2') }).retval | 0;
  } finally {
    c.dispose();
  }
}

const be16 = (n: number) => ((n & 0xff) << 8) | (n >> 8);

for (const engine of ENGINES) {
  test(`${engine}: each bpf_skc_to_* cast takes the sockets the kernel's does`, () => {
    const takes: Record<string, string[]> = {
      bpf_skc_to_tcp_sock: ['established', 'listener6'],
      bpf_skc_to_tcp6_sock: ['listener6'],
      bpf_skc_to_udp6_sock: ['udp6'],
      bpf_skc_to_tcp_timewait_sock: ['timewait'],
      bpf_skc_to_tcp_request_sock: ['request'],
      bpf_skc_to_unix_sock: [],
      bpf_skc_to_mptcp_sock: [],
    };
    for (const [helper, names] of Object.entries(takes)) {
      for (const name of Object.keys(tuples)) assert.equal(castRun(engine, name, helper), names.includes(name) ? 1 : -2, `${helper}(${name})`);
    }
  });

  test(`${engine}: a cast reads the socket at the kernel's offsets`, () => {
    const expect: [string, string, number][] = [
      ['skc_family', load(S.skc_family), 2], ['skc_state', load(S.skc_state), 1], ['skc_num', load(S.skc_num), 8080],
      ['skc_dport', load(S.skc_dport), be16(40000)], ['skc_daddr', load(S.skc_daddr), 0x0900000a], ['skc_rcv_saddr', load(S.skc_rcv_saddr), 0x0100007f],
      ['skc_v6_daddr (v4-mapped)', load(S.skc_v6_daddr, 8, 4), -65536], ['sk_type', load(S.sk_type), 1], ['sk_protocol', load(S.sk_protocol), 6],
      ['sk_mark', load(S.sk_mark), 7], ['sk_priority', load(S.sk_priority), 3], ['snd_cwnd', load(T.snd_cwnd), 33],
      ['bytes_acked (high half)', load(T.bytes_acked, 4, 4), 5], ['mss_cache', load(T.mss_cache), 536],
    ];
    for (const [what, body, value] of expect) assert.equal(castRun(engine, 'established', 'bpf_skc_to_tcp_sock', body), value, what);
    assert.equal(castRun(engine, 'listener6', 'bpf_skc_to_tcp6_sock', load(S.skc_family)), 10);
    assert.equal(castRun(engine, 'listener6', 'bpf_skc_to_tcp6_sock', load(S.skc_bound_dev_if)), 1);
    assert.equal(castRun(engine, 'listener6', 'bpf_skc_to_tcp6_sock', load(S.skc_v6_rcv_saddr, 0, 4)), 0xb80d0120 | 0);
    assert.equal(castRun(engine, 'timewait', 'bpf_skc_to_tcp_timewait_sock', load(S.skc_state)), 6);
    assert.equal(castRun(engine, 'request', 'bpf_skc_to_tcp_request_sock', load(S.skc_dport)), be16(40001));
  });

  test(`${engine}: a load through a NULL pointer member reads 0 (BPF_PROBE_MEM), through a NULL struct pointer too`, () => {
    // sk_user_data (a void *, rdonly_untrusted_mem) and sk_lock.wq.head.next (a struct list_head *) are NULL in the table's sockets.
    assert.equal(castRun(engine, 'established', 'bpf_skc_to_tcp_sock', 'r1 = *(u64 *)(r0 + 656)\nr8 = *(u32 *)(r1 + 8)\nr8 += 7'), 7);
    const listWalk = 'r1 = *(u64 *)(r0 + 336)\nr1 = *(u64 *)(r1 + 8)\nr2 = *(u64 *)(r1 + 0)\nr8 = 9\nif r2 == 0 goto +1\nr8 = 1';
    assert.equal(castRun(engine, 'established', 'bpf_skc_to_tcp_sock', listWalk), 9);
    // Pointers to structs the shipped BTF describes whole, several hops deep: skc_net.net->ns.inum, sk_socket->file->f_inode->i_ino.
    assert.equal(castRun(engine, 'established', 'bpf_skc_to_tcp_sock', 'r1 = *(u64 *)(r0 + 48)\nr8 = *(u32 *)(r1 + 176)\nr8 += 5'), 5);
    const fileInode = 'r1 = *(u64 *)(r0 + 288)\nr1 = *(u64 *)(r1 + 16)\nr1 = *(u64 *)(r1 + 32)\nr8 = *(u64 *)(r1 + 64)\nr8 += 3';
    assert.equal(castRun(engine, 'established', 'bpf_skc_to_tcp_sock', fileInode), 3);
  });

  test(`${engine}: a looked-up socket is released through its cast`, () => {
    // The cast's reference is the lookup's: released through the cast, the socket must not be released again.
    const body = 'r1 = r7\ncall bpf_skc_to_tcp_sock\nr8 = 2\nif r0 == 0 goto +4\nr1 = r0\ncall bpf_sk_release\nr0 = 1\nexit';
    const text = lookupProgram(tuples.established[0], { body });
    const c = Collection.load(programSpec('sched_cls', text), { engine, sockets: WORLD });
    try {
      assert.equal(c.programs.prog.testRun({ data: ipv4Frame('10.1.0.1', '10.2.0.2') }).retval, 1);
    } finally {
      c.dispose();
    }
  });
}
