/**
 * The helpers that report the host's identities — the current task's
 * cgroup and pid namespace, the skb's socket's cookie, uid and cgroup, the
 * network namespace cookie — on both engines, by default (the kernel's
 * values for a test run by root in the root cgroup and the initial
 * namespaces) and with the host model's options; and against the kernel
 * itself where it is reachable, with the host model read from this process.
 *
 * Each program writes up to five u32 results into the __sk_buff's cb[],
 * which the test run hands back in ctx_out.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readlinkSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { release } from 'node:os';
import { assemble } from '../../src/asm/index.js';
import type { CollectionSpec, MapSpec } from '../../src/elf/index.js';
import {
  BPF_FUNC_get_current_ancestor_cgroup_id, BPF_FUNC_get_current_cgroup_id, BPF_FUNC_get_netns_cookie, BPF_FUNC_get_ns_current_pid_tgid,
  BPF_FUNC_get_socket_cookie, BPF_FUNC_get_socket_uid, BPF_FUNC_sk_ancestor_cgroup_id, BPF_FUNC_sk_cgroup_id, BPF_FUNC_skb_ancestor_cgroup_id,
  BPF_FUNC_skb_cgroup_id, HostOptionError, INIT_NET_COOKIE, NSFS_DEV, OVERFLOWUID, PROC_PID_INIT_INO, RuntimeError, SocketSpecError,
  SocketTable, cgroupArrayHelpers, contextHelpers, createHelperTable, parseSocketSpec, socketHelpers, type HelperHost, type SocketSpec,
} from '../../src/helpers/index.js';
import { PacketRuns } from '../../src/helpers/packet.js';
import { AddressSpace } from '../../src/memory/index.js';
import { BPF_MAP_TYPE, BPF_PROG_TYPE, TC_CTX, helperIdByName } from '../../src/platform/index.js';
import { BPF_PSEUDO_MAP_IDX } from '../../src/isa/index.js';
import { MapError, MapRegistry } from '../../src/maps/index.js';
import { Vm } from '../../src/vm/index.js';
import { Runtime, loadCollection, type EngineKind } from '../../src/runtime/index.js';
import { kernelOrSkip } from '../kernel/env.js';
import { ipv4Frame, tupleStores } from '../helpers/sock-util.js';
import { u32le } from './packets.js';

const ENGINES = ['interp', 'jit'] as const;
const FRAME = ipv4Frame('10.1.0.1', '10.2.0.2');
const CB = 48;
const EINVAL = -22;

type ProgType = 'sched_cls' | 'socket_filter' | 'cgroup_skb';
const PROG_TYPES = { sched_cls: [BPF_PROG_TYPE.SCHED_CLS, 'tc'], socket_filter: [BPF_PROG_TYPE.SOCKET_FILTER, 'socket'], cgroup_skb: [BPF_PROG_TYPE.CGROUP_SKB, 'cgroup_skb/ingress'] } as const;

/** What `r2 = CGROUPS ll` loads in a program: the collection's cgroup array. */
const CGROUPS = 0x7ead_0001;

/** The cgroup array a spec has when its program names CGROUPS: `maxEntries` u32 slots. */
const cgroupArraySpec = (maxEntries: number): MapSpec => ({
  name: 'cgroups', origin: 'btf', section: '.maps', type: BPF_MAP_TYPE.CGROUP_ARRAY, keySize: 4, valueSize: 4, maxEntries, flags: 0,
  numaNode: 0, mapExtra: 0, pinning: 0, btfKeyTypeId: 0, btfValueTypeId: 0, initSlots: [], frozen: false,
});

/**
 * A one-program collection of `type` from kernel-syntax assembly (a
 * cgroup_skb program attaches at ingress, expected_attach_type 0); a
 * `CGROUPS ll` constant becomes a reference to a cgroup array of 4 slots.
 */
function spec(type: ProgType, text: string): CollectionSpec {
  const insns = assemble(text.replaceAll('CGROUPS', String(CGROUPS)), { helperId: helperIdByName })
    .map((ins) => (ins.code === 0x18 && ins.imm === CGROUPS ? { ...ins, src: BPF_PSEUDO_MAP_IDX, imm: 0 } : ins));
  const maps = insns.some((ins) => ins.src === BPF_PSEUDO_MAP_IDX) ? [cgroupArraySpec(4)] : [];
  return {
    byteOrder: 'le', license: 'GPL', kernelVersion: 0, maps, variables: [], btf: null,
    programs: [{
      name: 'prog', sectionName: PROG_TYPES[type][1], type: PROG_TYPES[type][0],
      expectedAttachType: 0, attachTo: '', flags: 0, license: 'GPL', kernelVersion: 0, insns,
      functions: [{ name: 'prog', section: type, insnOff: 0, insnCnt: insns.length }], funcInfo: [], lineInfo: [], coreRelos: [],
    }],
  };
}

/**
 * A program that runs each snippet (which leaves its result in r0; r6 holds
 * the context) and stores r0's low 32 bits in cb[i]; it returns 0.
 */
const program = (...snippets: string[]): string => [
  'r6 = r1',
  ...snippets.flatMap((s, i) => [s, `*(u32 *)(r6 + ${CB + 4 * i}) = r0`]),
  'r0 = 0',
  'exit',
].join('\n');

/** r0 = helper(args…) where r1 is the context unless `args` says otherwise. */
const call = (helper: string, ...args: string[]): string => [
  ...args.map((a, i) => `r${i + 1} = ${a}`),
  ...(args.length === 0 ? ['r1 = r6'] : []),
  `call ${helper}`,
].join('\n');

/** bpf_current_task_under_cgroup(CGROUPS, i) or bpf_skb_under_cgroup(skb, CGROUPS, i) for the slots 0 to 4 (one past the array). */
const underCgroup = (which: 'current' | 'skb'): string[] => [0, 1, 2, 3, 4].map((i) =>
  which === 'current' ? `r1 = CGROUPS ll\nr2 = ${i}\ncall bpf_current_task_under_cgroup` : `r1 = r6\nr2 = CGROUPS ll\nr3 = ${i}\ncall bpf_skb_under_cgroup`);

/** bpf_get_ns_current_pid_tgid(dev, ino, r10 - 8, size) on a buffer first filled with 0xff; r0 its result, the buffer's two u32 in r7, r8. */
const nsPidTgid = (dev: bigint, ino: bigint, size = 8): string[] => [
  [
    'r1 = -1', '*(u64 *)(r10 - 8) = r1', `r1 = ${dev} ll`, `r2 = ${ino} ll`, 'r3 = r10', 'r3 += -8', `r4 = ${size}`,
    'call bpf_get_ns_current_pid_tgid', 'r7 = *(u32 *)(r10 - 8)', 'r8 = *(u32 *)(r10 - 4)',
  ].join('\n'),
  'r0 = r7',
  'r0 = r8',
];

interface Options {
  host?: Omit<HelperHost, 'clock'>;
  /** The cgroup array's slots (cgroup ids on our engines, cgroup directory fds on the kernel), 0 for an empty one. */
  cgroups?: number[];
  sockets?: SocketSpec[];
  type?: ProgType;
  repeat?: number;
  data?: Uint8Array;
}

/** cb[0..4] after one test run of `text` on `engine` (signed); the program must return `retval` (default 0). */
function cbOut(engine: EngineKind, text: string, o: Options & { retval?: number } = {}, t?: TestContext): number[] | undefined {
  let c;
  if (engine === 'kernel') {
    const kernel = kernelOrSkip(t!);
    if (!kernel) return undefined;
    c = loadCollection(spec(o.type ?? 'sched_cls', text), { engine, kernel });
  } else {
    c = loadCollection(spec(o.type ?? 'sched_cls', text), { engine, host: o.host, sockets: o.sockets });
  }
  try {
    (o.cgroups ?? []).forEach((v, i) => {
      if (v) c.maps.cgroups.update(u32le(i), u32le(v));
    });
    const r = c.programs.prog.testRun({ data: o.data ?? FRAME, ctx: new Uint8Array(192), repeat: o.repeat });
    assert.equal(r.retval, o.retval ?? 0);
    const v = new DataView(r.ctxOut.buffer, r.ctxOut.byteOffset + CB, 20);
    return [0, 1, 2, 3, 4].map((i) => v.getInt32(4 * i, true));
  } finally {
    c.dispose();
  }
}

test('the helpers carry the kernel ids', () => {
  const ids: [string, number][] = [
    ['get_current_cgroup_id', BPF_FUNC_get_current_cgroup_id], ['get_current_ancestor_cgroup_id', BPF_FUNC_get_current_ancestor_cgroup_id],
    ['get_ns_current_pid_tgid', BPF_FUNC_get_ns_current_pid_tgid], ['get_socket_cookie', BPF_FUNC_get_socket_cookie],
    ['get_socket_uid', BPF_FUNC_get_socket_uid], ['get_netns_cookie', BPF_FUNC_get_netns_cookie], ['skb_cgroup_id', BPF_FUNC_skb_cgroup_id],
    ['skb_ancestor_cgroup_id', BPF_FUNC_skb_ancestor_cgroup_id], ['sk_cgroup_id', BPF_FUNC_sk_cgroup_id], ['sk_ancestor_cgroup_id', BPF_FUNC_sk_ancestor_cgroup_id],
  ];
  for (const [name, id] of ids) assert.equal(id, helperIdByName(name), name);
});

for (const engine of ENGINES) {
  test(`${engine}: by default, the root cgroup (id 1, level 0) for the task and the test run's socket`, () => {
    assert.deepEqual(cbOut(engine, program(
      call('bpf_get_current_cgroup_id'),
      call('bpf_get_current_ancestor_cgroup_id', '0'),
      call('bpf_get_current_ancestor_cgroup_id', '1'),
      call('bpf_skb_cgroup_id'),
      call('bpf_skb_ancestor_cgroup_id', 'r6', '0'),
    )), [1, 1, 0, 1, 1]);
    assert.deepEqual(cbOut(engine, program(
      call('bpf_skb_ancestor_cgroup_id', 'r6', '1'),
      call('bpf_get_current_ancestor_cgroup_id', '-1'),
      call('bpf_skb_ancestor_cgroup_id', 'r6', '-1'),
      // The level is an int: 2^32 is level 0.
      call('bpf_get_current_ancestor_cgroup_id', '4294967296 ll'),
    )), [0, 0, 0, 1, 0]);
  });

  test(`${engine}: a cgroup path of the host: the task's ids, its ancestors by level, the same for the test run's socket`, () => {
    const host = { cgroup: [1, 0x2_0000_0007n, 42] };
    assert.deepEqual(cbOut(engine, program(
      call('bpf_get_current_cgroup_id'),
      call('bpf_get_current_ancestor_cgroup_id', '1'),
      call('bpf_get_current_ancestor_cgroup_id', '3'),
      call('bpf_skb_cgroup_id'),
      call('bpf_skb_ancestor_cgroup_id', 'r6', '2'),
    ), { host }), [42, 7, 0, 42, 42]);
    // The high half of a 64-bit id.
    assert.deepEqual(cbOut(engine, program(
      `${call('bpf_get_current_ancestor_cgroup_id', '1')}\nr0 >>= 32`,
      `${call('bpf_skb_ancestor_cgroup_id', 'r6', '1')}\nr0 >>= 32`,
      call('bpf_skb_ancestor_cgroup_id', 'r6', '3'),
    ), { host }), [2, 2, 0, 0, 0]);
  });

  test(`${engine}: bpf_get_socket_uid is root's for the test run's socket, bpf_get_netns_cookie the initial namespace's`, () => {
    assert.deepEqual(cbOut(engine, program(
      call('bpf_get_socket_uid'),
      call('bpf_get_netns_cookie'),
      call('bpf_get_netns_cookie', '0'),
    ), { type: 'socket_filter' }), [0, Number(INIT_NET_COOKIE), Number(INIT_NET_COOKIE), 0, 0]);
    assert.deepEqual(cbOut(engine, program(
      call('bpf_get_netns_cookie'),
      call('bpf_get_netns_cookie', '0'),
    ), { host: { netnsCookie: 77n, initNetnsCookie: 5 } }), [77, 5, 0, 0, 0]);
  });

  test(`${engine}: bpf_get_socket_cookie: the test run's socket gets the next cookie on first use and keeps it for the run`, () => {
    const text = program(call('bpf_get_socket_cookie'), call('bpf_get_socket_cookie'));
    // No sockets described: 1 for the run's socket.
    assert.deepEqual(cbOut(engine, text), [1, 1, 0, 0, 0]);
    assert.deepEqual(cbOut(engine, text, { repeat: 3 }), [1, 1, 0, 0, 0], 'the runs of one repeat share the skb and its socket');
    const sockets: SocketSpec[] = [{ protocol: 'tcp', localIp: '127.0.0.1', localPort: 80 }, { protocol: 'udp', localIp: '127.0.0.1', localPort: 53, cookie: 40 }];
    assert.deepEqual(cbOut(engine, text, { sockets }), [41, 41, 0, 0, 0], 'above every cookie of the table');
  });

  test(`${engine}: two test runs on one collection: two sockets, two cookies`, () => {
    const c = loadCollection(spec('sched_cls', program(call('bpf_get_socket_cookie'))), { engine });
    try {
      const cookies = [0, 1, 2].map(() => new DataView(c.programs.prog.testRun({ data: FRAME, ctx: new Uint8Array(192) }).ctxOut.buffer).getUint32(CB, true));
      assert.deepEqual(cookies, [1, 2, 3]);
    } finally {
      c.dispose();
    }
  });

  test(`${engine}: bpf_get_ns_current_pid_tgid: the ids in the task's pid namespace when dev and ino name it, else -EINVAL and the buffer zeroed`, () => {
    const host = { task: { pid: 1234, tgid: 1200, uid: 0, gid: 0, comm: 'node' }, pidNamespace: { dev: 9, ino: 0x1_0000_0005n, pid: 34, tgid: 30 } };
    const ino = 0x1_0000_0005n;
    assert.deepEqual(cbOut(engine, program(...nsPidTgid(9n, ino)), { host }), [0, 34, 30, 0, 0]);
    assert.deepEqual(cbOut(engine, program(...nsPidTgid(9n, ino + 1n)), { host }), [EINVAL, 0, 0, 0, 0], 'another namespace');
    assert.deepEqual(cbOut(engine, program(...nsPidTgid(8n, ino)), { host }), [EINVAL, 0, 0, 0, 0], 'another device');
    assert.deepEqual(cbOut(engine, program(...nsPidTgid(9n | (1n << 32n), ino)), { host }), [EINVAL, 0, 0, 0, 0], 'a dev wider than dev_t');
    assert.deepEqual(cbOut(engine, program(...nsPidTgid(9n, ino, 4)), { host }), [EINVAL, 0, -1, 0, 0], 'a size other than 8: those bytes zeroed');
    // Without a namespace the host's task is in the initial one and sees its own ids.
    assert.deepEqual(cbOut(engine, program(...nsPidTgid(BigInt(NSFS_DEV), PROC_PID_INIT_INO)), { host: { task: host.task } }), [0, 1234, 1200, 0, 0]);
    assert.deepEqual(cbOut(engine, program(...nsPidTgid(BigInt(NSFS_DEV), PROC_PID_INIT_INO))), [0, 0, 0, 0, 0], 'the idle task: pid 0');
  });

  test(`${engine}: sockets of the table: cookie, cgroup and its ancestors, as described; 0 for a socket that is not full`, () => {
    const sockets: SocketSpec[] = [
      { protocol: 'tcp', localIp: '127.0.0.1', localPort: 80, cookie: 9, cgroup: [1, 300, 301] },
      { protocol: 'tcp', localIp: '127.0.0.1', localPort: 81 },
      { protocol: 'tcp', localIp: '127.0.0.1', localPort: 82, remoteIp: '127.0.0.2', remotePort: 4000, state: 'time_wait', cookie: 12 },
    ];
    /** cgroup_skb (the type that may call bpf_sk_cgroup_id): look the socket bound to `port` up, store helper(sk, level) in cb[0]; 1, or 0 when the lookup fails. */
    const lookup = (port: number, helper: string, o: { level?: number; skc?: boolean; sport?: number; host?: Options['host'] } = {}) => {
      const tuple = tupleStores({ saddr: '127.0.0.2', sport: o.sport ?? 1, daddr: '127.0.0.1', dport: port });
      const text = `
        r6 = r1
        ${tuple.text}
        r1 = r6
        r2 = r10
        r2 += -40
        r3 = ${tuple.size}
        r4 = -1
        r5 = 0
        call ${o.skc ? 'bpf_skc_lookup_tcp' : 'bpf_sk_lookup_tcp'}
        if r0 == 0 goto miss
        r7 = r0
        r1 = r7
        r2 = ${o.level ?? 0}
        call ${helper}
        *(u32 *)(r6 + ${CB}) = r0
        r1 = r7
        call bpf_sk_release
        r0 = 1
        exit
      miss:
        r0 = 0
        exit`;
      return cbOut(engine, text, { type: 'cgroup_skb', sockets, host: o.host, retval: 1 })![0];
    };
    assert.equal(lookup(80, 'bpf_sk_cgroup_id'), 301);
    assert.equal(lookup(80, 'bpf_sk_ancestor_cgroup_id', { level: 1 }), 300);
    assert.equal(lookup(80, 'bpf_sk_ancestor_cgroup_id', { level: 3 }), 0);
    assert.equal(lookup(81, 'bpf_sk_cgroup_id', { host: { cgroup: [1, 55] } }), 55, "a socket without its own cgroup is the host task's");
    assert.equal(lookup(82, 'bpf_sk_cgroup_id', { skc: true, sport: 4000 }), 0, 'a timewait socket has no cgroup');
    assert.equal(lookup(82, 'bpf_sk_ancestor_cgroup_id', { skc: true, sport: 4000 }), 0);
  });

  test(`${engine}: cgroup arrays: the task and the skb's socket under a slot's cgroup (1) or not (0); -EAGAIN for an empty slot, -E2BIG past the array`, () => {
    const host = { cgroup: [1, 10, 20] };
    const cgroups = [1, 10, 30, 0];
    assert.deepEqual(cbOut(engine, program(...underCgroup('current')), { host, cgroups }), [1, 1, 0, -11, -7]);
    assert.deepEqual(cbOut(engine, program(...underCgroup('skb')), { host, cgroups }), [1, 1, 0, -11, -7]);
    const sockets: SocketSpec[] = [];
    assert.deepEqual(cbOut(engine, program(...underCgroup('skb')), { host: { cgroup: [1, 30] }, cgroups, sockets }), [1, 0, 1, -11, -7], 'the socket is in the host task\'s cgroup');
    const c = loadCollection(spec('sched_cls', program(...underCgroup('current'))), { engine });
    try {
      assert.throws(() => c.maps.cgroups.update(u32le(0), u32le(0)), (e: unknown) => e instanceof MapError && e.errnoName === 'EBADF', 'no cgroup has id 0');
      assert.throws(() => c.maps.cgroups.update(u32le(4), u32le(1)), (e: unknown) => e instanceof MapError && e.errnoName === 'E2BIG');
      c.maps.cgroups.update(u32le(0), u32le(1));
      assert.throws(() => c.maps.cgroups.lookup(u32le(0)), (e: unknown) => e instanceof MapError && e.errnoName === 'ENOTSUPP', 'userspace cannot read a cgroup array');
    } finally {
      c.dispose();
    }
  });

  test(`${engine}: an unverified program passing something else than the skb or a socket gets a RuntimeError naming the helper`, () => {
    const rt = new Runtime({ engine });
    for (const helper of ['bpf_get_socket_uid', 'bpf_skb_cgroup_id', 'bpf_get_netns_cookie', 'bpf_get_socket_cookie', 'bpf_sk_cgroup_id']) {
      const prog = rt.load(assemble(`r1 = 64\ncall ${helper}\nexit`, { helperId: helperIdByName }), { verify: false });
      assert.throws(() => prog.run({}), (e: unknown) => e instanceof RuntimeError && e.message.includes(helper), helper);
    }
  });
}

test('host options: a bad value is an EHOST error naming the option', () => {
  const bad: [Omit<HelperHost, 'clock'>, RegExp][] = [
    [{ cgroup: [] }, /host\.cgroup: must list/],
    [{ cgroup: [1, 0] }, /host\.cgroup\[1\]: must be an integer from 1/],
    [{ cgroup: [1, 1.5] }, /host\.cgroup\[1\]/],
    [{ pidNamespace: { dev: -1 } }, /host\.pidNamespace\.dev/],
    [{ pidNamespace: { ino: 1n << 64n } }, /host\.pidNamespace\.ino/],
    [{ netnsCookie: 0 }, /host\.netnsCookie/],
    [{ initNetnsCookie: 'x' as unknown as number }, /host\.initNetnsCookie/],
  ];
  for (const [host, message] of bad) {
    assert.throws(() => new Runtime({ host }), (e: unknown) => e instanceof HostOptionError && e.code === 'EHOST' && message.test(e.message), JSON.stringify(host, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)));
  }
});

test('socket descriptions: uid and cgroup, checked; `ebpf run --socket` text takes them', () => {
  assert.throws(() => new Runtime({ sockets: [{ protocol: 'tcp', localIp: '127.0.0.1', localPort: 1, cgroup: [] }] }), SocketSpecError);
  assert.throws(() => new Runtime({ sockets: [{ protocol: 'tcp', localIp: '127.0.0.1', localPort: 1, cgroup: [1, -2] }] }), /cgroup\[1\] must be an integer/);
  assert.throws(() => new Runtime({ sockets: [{ protocol: 'tcp', localIp: '127.0.0.1', localPort: 1, uid: -1 }] }), /uid must be an integer/);
  assert.deepEqual(parseSocketSpec('tcp 127.0.0.1:80 uid=1000 cgroup=1/20/300'), { protocol: 'tcp', localIp: '127.0.0.1', localPort: 80, uid: 1000, cgroup: [1n, 20n, 300n] });
  assert.throws(() => parseSocketSpec('tcp 127.0.0.1:80 cgroup=1,2'), /cgroup=1,2: the value is the cgroup ids/);
});

test('an skb without a socket, or with one that is not full: no cookie, overflowuid, no cgroup, the initial namespace', () => {
  const space = new AddressSpace();
  const table = new SocketTable(space, [{ protocol: 'tcp', localIp: '127.0.0.1', localPort: 82, remoteIp: '127.0.0.2', remotePort: 4000, state: 'time_wait', cookie: 12 }]);
  const packets = new PacketRuns();
  const skb = space.alloc('__sk_buff', TC_CTX.size, 'ctx', true);
  packets.current = { kind: 'skb', ctx: skb.start, start: 0, end: 0, data: 0, dataEnd: 0, dataMeta: 0, networkOffset: 0 };
  const registry = new MapRegistry(space);
  const cgroups = registry.create({ type: 'cgroup_array', keySize: 4, valueSize: 4, maxEntries: 1 });
  cgroups.update(u32le(0), u32le(1));
  const helpers = createHelperTable([...contextHelpers(), ...socketHelpers(table, packets), ...cgroupArrayHelpers(registry, table, packets)]);
  const vm = new Vm(space, { helpers, host: { netnsCookie: 8, cgroup: [1, 2] } });
  const r0 = (helper: string, r2 = 0, r1 = skb.start) =>
    vm.load(assemble(`r1 = ${r1}\nr2 = ${r2}\nr3 = 0\ncall ${helper}\nexit`, { helperId: helperIdByName })).run({}).r0;
  const sk = TC_CTX.fields.find((f) => f.name === 'sk')!.offset;
  for (const [what, address] of [['no socket', 0], ['a timewait socket', table.list()[0].address]] as const) {
    space.view.setBigUint64(skb.start + sk, BigInt(address), true);
    assert.equal(r0('bpf_get_socket_uid'), BigInt(OVERFLOWUID), what);
    assert.equal(r0('bpf_skb_cgroup_id'), 0n, what);
    assert.equal(r0('bpf_skb_ancestor_cgroup_id', 0), 0n, what);
    assert.equal(r0('bpf_skb_under_cgroup', cgroups.address), BigInt.asUintN(64, -2n), `${what}: -ENOENT`);
  }
  space.view.setBigUint64(skb.start + sk, 0n, true);
  assert.equal(r0('bpf_get_socket_cookie'), 0n);
  assert.equal(r0('bpf_get_netns_cookie'), INIT_NET_COOKIE, 'no socket: the initial namespace, not the runtime\'s');
  space.view.setBigUint64(skb.start + sk, BigInt(table.list()[0].address), true);
  assert.equal(r0('bpf_get_socket_cookie'), 12n, 'a timewait socket has its cookie');
  assert.equal(r0('bpf_get_netns_cookie'), 8n);
  // bpf_get_socket_ptr_cookie, tracing's variant: a socket pointer, or NULL.
  assert.equal(r0('bpf_get_socket_cookie', 0, table.list()[0].kernelAddress), 12n);
  assert.equal(r0('bpf_get_socket_cookie', 0, 0), 0n);
});

// ---- the kernel as the oracle ------------------------------------------------------------------------------

/** The cgroup v2 hierarchy's mount point and this process's cgroup in it; undefined without cgroup v2. */
function cgroupV2(): { mount: string; path: string[] } | undefined {
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'));
  const mount = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')).find((f) => f[f.indexOf('-') + 1] === 'cgroup2');
  return line && mount ? { mount: mount[4], path: line.slice(3).split('/').filter(Boolean) } : undefined;
}

/** The host model of this process: its cgroup path as ids (the inode numbers of its directories, root first), its pid namespace, its network namespace. */
function thisProcess(): Omit<HelperHost, 'clock'> & { cgroup: bigint[] } | undefined {
  const v2 = cgroupV2();
  if (!v2) return undefined;
  const cgroup = [0, ...v2.path.map((_, i) => i + 1)].map((n) => statSync(join(v2.mount, ...v2.path.slice(0, n)), { bigint: true }).ino);
  const ns = statSync('/proc/self/ns/pid', { bigint: true });
  // PROC_NET_INIT_INO: the initial network namespace; anywhere else its cookie is another one.
  const initNet = readlinkSync('/proc/self/ns/net') === 'net:[4026531833]';
  return {
    cgroup, task: { pid: process.pid, tgid: process.pid, uid: 0, gid: 0, comm: 'node' },
    pidNamespace: { dev: Number(ns.dev), ino: ns.ino }, ...(initNet ? {} : { netnsCookie: INIT_NET_COOKIE + 1n }),
  };
}

/** The snippets for every ancestor level from 0 to one past the cgroup's own `level`, and -1, five to a program. */
function ancestorSnippets(level: number, snippet: (level: number) => string): string[][] {
  const all = [...Array.from({ length: level + 2 }, (_, l) => l), -1].map(snippet);
  return Array.from({ length: Math.ceil(all.length / 5) }, (_, i) => all.slice(5 * i, 5 * i + 5));
}

const SKB_SK = TC_CTX.fields.find((f) => f.name === 'sk')!.offset;

/** A cgroup_skb program: like `program`, with r7 = bpf_sk_fullsock(skb->sk) for the snippets (cb untouched without one); it returns 1. */
const skProgram = (...snippets: string[]): string => [
  'r6 = r1', `r7 = *(u64 *)(r6 + ${SKB_SK})`, 'if r7 == 0 goto out', 'r1 = r7', 'call bpf_sk_fullsock', 'if r0 == 0 goto out', 'r7 = r0',
  ...snippets.flatMap((s, i) => [s, `*(u32 *)(r6 + ${CB + 4 * i}) = r0`]),
  'out:', 'r0 = 1', 'exit',
].join('\n');

/**
 * Every comparison of the host-identity helpers between the kernel and our
 * engines, for this process as it is now; `slots`: cgroup directories for the
 * cgroup array (an fd of each for the kernel, its id for us), '' for an empty slot.
 */
function compareWithKernel(t: TestContext, slots: string[]): void {
  const host = thisProcess();
  if (!host) {
    t.skip('no cgroup v2 hierarchy on this machine');
    return;
  }
  const { cgroup } = host;
  const ns = host.pidNamespace!;
  const level = cgroup.length - 1;
  const programs = [
    program(
      call('bpf_get_current_cgroup_id'),
      `${call('bpf_get_current_cgroup_id')}\nr0 >>= 32`,
      call('bpf_skb_cgroup_id'),
      `${call('bpf_skb_cgroup_id')}\nr0 >>= 32`,
    ),
    ...ancestorSnippets(level, (l) => call('bpf_get_current_ancestor_cgroup_id', String(l))).map((s) => program(...s)),
    ...ancestorSnippets(level, (l) => call('bpf_skb_ancestor_cgroup_id', 'r6', String(l))).map((s) => program(...s)),
    program(
      call('bpf_get_socket_uid'),
      // The socket's cookie: not 0, the same on a second call.
      `${call('bpf_get_socket_cookie')}\nr7 = r0\n${call('bpf_get_socket_cookie')}\nif r0 == r7 goto +2\nr0 = 0\ngoto +1\nr0 = 1`,
      `${call('bpf_get_socket_cookie')}\nif r0 == 0 goto +1\nr0 = 1`,
      // The skb's socket is in this process's namespace: the initial one's cookie exactly when this is the initial namespace.
      `${call('bpf_get_netns_cookie')}\nr7 = r0\n${call('bpf_get_netns_cookie', '0')}\nif r0 == r7 goto +2\nr0 = 0\ngoto +1\nr0 = 1`,
    ),
    program(...nsPidTgid(BigInt(ns.dev!), BigInt(ns.ino!))),
    program(...nsPidTgid(BigInt(ns.dev!), BigInt(ns.ino!) + 1n)),
    program(...nsPidTgid(BigInt(ns.dev!), BigInt(ns.ino!), 4)),
  ];
  const first = cbOut('kernel', programs[0], {}, t);
  if (!first) return;
  assert.deepEqual(first.slice(0, 4).map((v) => v >>> 0), [cgroup[level], cgroup[level], cgroup[level], cgroup[level]].map((id, i) => Number(i % 2 ? id >> 32n : id & 0xffffffffn)),
    "the kernel: the task's cgroup id is its directory's inode, and the test run's socket is in it");
  for (const text of programs) {
    const kernel = cbOut('kernel', text, {}, t)!;
    for (const engine of ENGINES) assert.deepEqual(cbOut(engine, text, { host }), kernel, `${engine} on\n${text}`);
  }
  // cgroup_skb: the socket pointer variants on skb->sk, the test run's socket, through bpf_sk_fullsock.
  const skPrograms = [
    skProgram('r1 = r7\ncall bpf_sk_cgroup_id', 'r1 = r7\ncall bpf_sk_cgroup_id\nr0 >>= 32'),
    ...ancestorSnippets(level, (l) => `r1 = r7\nr2 = ${l}\ncall bpf_sk_ancestor_cgroup_id`).map((s) => skProgram(...s)),
  ];
  for (const text of skPrograms) {
    const kernel = cbOut('kernel', text, { type: 'cgroup_skb', retval: 1 }, t)!;
    for (const engine of ENGINES) assert.deepEqual(cbOut(engine, text, { type: 'cgroup_skb', retval: 1, host }), kernel, `${engine} on\n${text}`);
  }
  // Cgroup arrays.
  const fds = slots.map((dir) => (dir ? openSync(dir, 'r') : 0));
  try {
    const ids = slots.map((dir) => (dir ? Number(statSync(dir, { bigint: true }).ino) : 0));
    for (const which of ['current', 'skb'] as const) {
      const text = program(...underCgroup(which));
      const kernel = cbOut('kernel', text, { cgroups: fds }, t)!;
      for (const engine of ENGINES) assert.deepEqual(cbOut(engine, text, { host, cgroups: ids }), kernel, `${engine}: ${which} under cgroups ${slots.join(', ')}`);
    }
  } finally {
    for (const fd of fds) if (fd) closeSync(fd);
  }
  // The initial network namespace's cookie: Linux 6.18 numbers namespaces of every kind from one counter.
  if (/^6\.18\./.test(release()) && !host.netnsCookie) {
    assert.equal(cbOut('kernel', program(call('bpf_get_netns_cookie', '0')), {}, t)![0], Number(INIT_NET_COOKIE));
  }
}

test("kernel: the task's cgroup and its ancestors, the test run socket's cgroup, uid, cookie and namespaces as the kernel reports them for this process", (t) => {
  const v2 = cgroupV2();
  compareWithKernel(t, v2 ? [v2.mount, join(v2.mount, ...v2.path), '', ''] : []);
});

test('kernel: the same two cgroups deeper: this process moved into a cgroup of its own and back', (t) => {
  const v2 = cgroupV2();
  if (!v2 || !kernelOrSkip(t)) {
    if (!v2) t.skip('no cgroup v2 hierarchy on this machine');
    return;
  }
  const here = join(v2.mount, ...v2.path);
  const outer = join(here, `ebpf-hostid-${process.pid}`);
  const inner = join(outer, 'inner');
  const other = join(outer, 'other');
  try {
    mkdirSync(inner, { recursive: true });
    mkdirSync(other);
    writeFileSync(join(inner, 'cgroup.procs'), String(process.pid));
  } catch (err) {
    rmdirIfThere(inner);
    rmdirIfThere(other);
    rmdirIfThere(outer);
    t.skip(`cannot make a cgroup here: ${(err as Error).message}`);
    return;
  }
  try {
    assert.equal(thisProcess()!.cgroup.length, v2.path.length + 3, 'two levels deeper');
    compareWithKernel(t, [v2.mount, outer, other, '']);
  } finally {
    writeFileSync(join(here, 'cgroup.procs'), String(process.pid));
    rmdirIfThere(inner);
    rmdirIfThere(other);
    rmdirIfThere(outer);
  }
});

function rmdirIfThere(dir: string): void {
  if (existsSync(dir)) rmdirSync(dir);
}
