/**
 * bpf_sk_storage_get and bpf_sk_storage_delete through test runs of tc and
 * cgroup_skb programs on the storage of skb->sk, on both engines and the
 * kernel with equal results: BPF_PROG_TEST_RUN gives each run a fresh
 * socket, so a storage made in one run is gone in the next, while the
 * repetitions of one run share it. Then the verifier's refusals (compared
 * with the kernel's), and the helpers on the sockets of a runtime's table,
 * whose storage userspace reaches by cookie.
 *
 * Each program writes its results as u32 into the __sk_buff's cb[], which
 * the test run hands back in ctx_out.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../src/asm/index.js';
import type { Btf } from '../../src/btf/index.js';
import type { CollectionSpec, MapSpec } from '../../src/elf/index.js';
import { RuntimeError, SocketTable, createHelperContext, skStorageHelpers } from '../../src/helpers/index.js';
import { BPF_PSEUDO_MAP_IDX } from '../../src/isa/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { BPF_F_NO_PREALLOC, MapRegistry, type SkStorageMap } from '../../src/maps/index.js';
import { BPF_MAP_TYPE, BPF_PROG_TYPE, helperIdByName } from '../../src/platform/index.js';
import { Collection, Runtime, loadCollection, verifyProgramOnKernel, verifyProgramSpec, type EngineKind } from '../../src/runtime/index.js';
import { kernelOrSkip } from '../kernel/env.js';
import { ipv4Frame } from '../helpers/sock-util.js';

const FRAME = ipv4Frame('10.1.0.1', '10.2.0.2');
const CB = 48;
/** What `rN = STG ll` loads: the collection's socket storage; `ARR ll`: its array. */
const STG = 0x7ead_0001;
const ARR = 0x7ead_0002;

/** BTF: `int` (1), `unsigned long long` (2), the value struct { u64 n; u64 m; } (3). */
const BTF: Btf = {
  types: [
    { kind: 'void', name: '' },
    { kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 },
    { kind: 'int', name: 'unsigned long long', size: 8, encoding: 0, bitOffset: 0, bits: 64 },
    {
      kind: 'struct', name: 'val', size: 16, kindFlag: false,
      members: [{ name: 'n', type: 2, bitOffset: 0, bitfieldSize: 0 }, { name: 'm', type: 2, bitOffset: 64, bitfieldSize: 0 }],
    },
  ],
};

const mapSpec = (name: string, type: number, keySize: number, valueSize: number, maxEntries: number, flags: number): MapSpec => ({
  name, origin: 'btf', section: '.maps', type, keySize, valueSize, maxEntries, flags,
  numaNode: 0, mapExtra: 0, pinning: 0, btfKeyTypeId: 1, btfValueTypeId: 3, initSlots: [], frozen: false,
});

const PROG_TYPES = { tc: [BPF_PROG_TYPE.SCHED_CLS, 'tc'], cgroup_skb: [BPF_PROG_TYPE.CGROUP_SKB, 'cgroup_skb/ingress'] } as const;

/** A one-program collection with the socket storage `stg` (16-byte value) and an array `arr` of the same value. */
function spec(kind: keyof typeof PROG_TYPES, text: string): CollectionSpec {
  const insns = assemble(text.replaceAll('STG', String(STG)).replaceAll('ARR', String(ARR)), { helperId: helperIdByName }).map((ins) => {
    if (ins.code !== 0x18 || (ins.imm !== STG && ins.imm !== ARR)) return ins;
    return { ...ins, src: BPF_PSEUDO_MAP_IDX, imm: ins.imm === STG ? 0 : 1 };
  });
  const [type, section] = PROG_TYPES[kind];
  return {
    byteOrder: 'le', license: 'GPL', kernelVersion: 0, variables: [], btf: BTF,
    maps: [mapSpec('stg', BPF_MAP_TYPE.SK_STORAGE, 4, 16, 0, BPF_F_NO_PREALLOC), mapSpec('arr', BPF_MAP_TYPE.ARRAY, 4, 16, 1, 0)],
    programs: [{
      name: 'prog', sectionName: section, type, expectedAttachType: 0, attachTo: '', flags: 0, license: 'GPL', kernelVersion: 0, insns,
      functions: [{ name: 'prog', section, insnOff: 0, insnCnt: insns.length }], funcInfo: [], lineInfo: [], coreRelos: [],
    }],
  };
}

const lines = (...l: string[]) => l.join('\n');

/** cb[0] = ++n of skb->sk's storage (made zeroed on first use), cb[1] = m (never written: 0). */
const COUNTER = lines(
  'r6 = r1', 'r2 = *(u64 *)(r6 + 168)', 'if r2 == 0 goto out',
  'r1 = STG ll', 'r3 = 0', 'r4 = 1', 'call bpf_sk_storage_get', 'if r0 == 0 goto out',
  'r1 = *(u64 *)(r0 + 0)', 'r1 += 1', '*(u64 *)(r0 + 0) = r1', '*(u32 *)(r6 + 48) = r1',
  'r1 = *(u64 *)(r0 + 8)', '*(u32 *)(r6 + 52) = r1',
  'out:', 'r0 = 1', 'exit',
);

/**
 * The helpers' answers, each repetition the same (the storage is deleted at the end):
 * cb[0] = 1 if a get without F_CREATE is NULL; cb[1] = m of a storage made from an initial
 * value { n: 5, m: 0x1234 }; cb[2] = the first delete's result; cb[3] = the second's (-ENOENT);
 * cb[4] = 1 if a get with flags 3 (unknown bits) is NULL, though it would create.
 */
const ANSWERS = lines(
  'r6 = r1', 'r7 = *(u64 *)(r6 + 168)', 'if r7 == 0 goto out',
  'r1 = STG ll', 'r2 = r7', 'r3 = 0', 'r4 = 0', 'call bpf_sk_storage_get',
  'r1 = 0', 'if r0 != 0 goto +1', 'r1 = 1', '*(u32 *)(r6 + 48) = r1',
  'r1 = 5', '*(u64 *)(r10 - 16) = r1', 'r1 = 0x1234', '*(u64 *)(r10 - 8) = r1',
  'r1 = STG ll', 'r2 = r7', 'r3 = r10', 'r3 += -16', 'r4 = 1', 'call bpf_sk_storage_get',
  'if r0 == 0 goto out', 'r1 = *(u64 *)(r0 + 8)', '*(u32 *)(r6 + 52) = r1',
  'r1 = STG ll', 'r2 = r7', 'call bpf_sk_storage_delete', '*(u32 *)(r6 + 56) = r0',
  'r1 = STG ll', 'r2 = r7', 'call bpf_sk_storage_delete', '*(u32 *)(r6 + 60) = r0',
  'r1 = STG ll', 'r2 = r7', 'r3 = 0', 'r4 = 3', 'call bpf_sk_storage_get',
  'r1 = 0', 'if r0 != 0 goto +1', 'r1 = 1', '*(u32 *)(r6 + 64) = r1',
  'out:', 'r0 = 1', 'exit',
);

const ENGINES: EngineKind[] = ['interp', 'jit', 'kernel'];

/** cb[0..4] and retval after each test run of `text` with the given repeat counts, one collection for all. */
function runs(t: TestContext, engine: EngineKind, kind: keyof typeof PROG_TYPES, text: string, repeats: number[]): number[][] | undefined {
  let c;
  if (engine === 'kernel') {
    const kernel = kernelOrSkip(t);
    if (!kernel) return undefined;
    c = loadCollection(spec(kind, text), { engine, kernel });
  } else {
    c = loadCollection(spec(kind, text), { engine });
  }
  try {
    return repeats.map((repeat) => {
      const r = c.programs.prog.testRun({ data: FRAME, ctx: new Uint8Array(192), repeat });
      const v = new DataView(r.ctxOut.buffer, r.ctxOut.byteOffset + CB, 20);
      return [r.retval, ...[0, 1, 2, 3, 4].map((i) => v.getUint32(4 * i, true))];
    });
  } finally {
    c.dispose();
  }
}

function onEveryEngine(t: TestContext, kind: keyof typeof PROG_TYPES, text: string, repeats: number[], expected: number[][]): void {
  for (const engine of ENGINES) {
    const got = runs(t, engine, kind, text, repeats);
    if (!got) continue;
    assert.deepEqual(got, expected, `${kind} on ${engine}: [retval, cb0..cb4] after runs with repeat ${repeats.join(', ')}`);
  }
}

test('skb->sk\'s storage is made zeroed in a test run, shared by its repetitions, and gone in the next run (tc)', (t) => {
  onEveryEngine(t, 'tc', COUNTER, [1, 4, 1, 3], [[1, 1, 0, 0, 0, 0], [1, 4, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0], [1, 3, 0, 0, 0, 0]]);
});

test('the same in cgroup_skb programs', (t) => {
  onEveryEngine(t, 'cgroup_skb', COUNTER, [2, 1], [[1, 2, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0]]);
});

test('get without F_CREATE, get with an initial value, delete twice, unknown flags', (t) => {
  const ENOENT = 0xfffffffe;
  onEveryEngine(t, 'tc', ANSWERS, [1, 3], [[1, 1, 0x1234, 0, ENOENT, 1], [1, 1, 0x1234, 0, ENOENT, 1]]);
});

/**
 * Whether our verifier refuses `text`; when the kernel is reachable, its
 * verdict, the instruction and the message are ours.
 */
function refused(t: TestContext, text: string): boolean {
  const ours = verifyProgramSpec(spec('tc', text), 'prog');
  const kernel = kernelOrSkip(t);
  if (kernel) {
    const theirs = verifyProgramOnKernel(spec('tc', text), 'prog', { kernel });
    assert.deepEqual({ accepted: ours.accepted, error: ours.error }, { accepted: theirs.accepted, error: theirs.error }, text);
  }
  return !ours.accepted;
}

test('the verifier: the map must be a socket storage, the socket non-NULL, and the storage map only for these helpers', (t) => {
  const withSk = (...body: string[]) => lines('r6 = r1', 'r2 = *(u64 *)(r6 + 168)', 'if r2 == 0 goto out', ...body, 'out:', 'r0 = 1', 'exit');
  assert.equal(refused(t, withSk('r1 = STG ll', 'r3 = 0', 'r4 = 1', 'call bpf_sk_storage_get')), false, 'a socket storage and a checked skb->sk');
  assert.equal(refused(t, withSk('r1 = STG ll', 'call bpf_sk_storage_delete')), false);
  assert.equal(refused(t, withSk('r1 = ARR ll', 'r3 = 0', 'r4 = 1', 'call bpf_sk_storage_get')), true, 'an array map');
  assert.equal(refused(t, withSk('r1 = ARR ll', 'call bpf_sk_storage_delete')), true, 'an array map');
  assert.equal(refused(t, lines('r2 = *(u64 *)(r1 + 168)', 'r1 = STG ll', 'r3 = 0', 'r4 = 1', 'call bpf_sk_storage_get', 'r0 = 1', 'exit')), true, 'skb->sk may be NULL');
  assert.equal(refused(t, lines('r1 = STG ll', 'r2 = 0', '*(u32 *)(r10 - 4) = r2', 'r2 = r10', 'r2 += -4', 'call bpf_map_lookup_elem', 'r0 = 1', 'exit')), true,
    'bpf_map_lookup_elem on a socket storage');
  assert.equal(refused(t, withSk('r3 = r10', 'r3 += -8', 'r1 = 0', '*(u64 *)(r10 - 8) = r1', 'r1 = STG ll', 'r4 = 1', 'call bpf_sk_storage_get')), true,
    'an initial value smaller than value_size');
  assert.equal(refused(t, lines('r2 = 0', 'r1 = STG ll', 'r3 = 0', 'r4 = 1', 'call bpf_sk_storage_get', 'r0 = 1', 'exit')), true, 'a NULL socket');
  assert.equal(refused(t, lines('r2 = r1', 'r1 = STG ll', 'call bpf_sk_storage_delete', 'r0 = 1', 'exit')), true, 'the context as the socket');
  assert.equal(refused(t, withSk('r1 = r2', 'call bpf_sk_fullsock', 'if r0 == 0 goto out', 'r2 = r0', 'r1 = STG ll', 'r3 = 0', 'r4 = 1', 'call bpf_sk_storage_get')), false,
    'a sock from bpf_sk_fullsock');
  assert.equal(refused(t, withSk('r1 = r2', 'call bpf_tcp_sock', 'if r0 == 0 goto out', 'r2 = r0', 'r1 = STG ll', 'call bpf_sk_storage_delete')), false,
    'a tcp_sock from bpf_tcp_sock');
  const lookup = (...use: string[]) => lines(
    'r2 = 0', '*(u64 *)(r10 - 8) = r2', '*(u32 *)(r10 - 12) = r2', '*(u32 *)(r10 - 16) = r2', 'r2 = r10', 'r2 += -16', 'r3 = 12', 'r4 = -1', 'r5 = 0',
    'call bpf_sk_lookup_tcp', 'if r0 == 0 goto out', 'r6 = r0', 'r2 = r0', ...use, 'out:', 'r0 = 1', 'exit');
  assert.equal(refused(t, lookup('r1 = STG ll', 'r3 = 0', 'r4 = 1', 'call bpf_sk_storage_get', 'r1 = r6', 'call bpf_sk_release')), false,
    'a looked-up socket, released after');
  assert.equal(refused(t, lookup('r1 = STG ll', 'r3 = 0', 'r4 = 1', 'call bpf_sk_storage_get')), true, 'a looked-up socket never released');
});

// ---- the helpers on the sockets of a table ------------------------------------------------------------

test('on table sockets: the storage userspace sees by cookie; a non-full socket has none; bad arguments are RuntimeErrors', () => {
  const space = new AddressSpace();
  const registry = new MapRegistry(space);
  const table = new SocketTable(space, [
    { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80 },
    { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80, remoteIp: '10.0.0.2', remotePort: 4000, state: 'time_wait' },
  ]);
  registry.sockets = table;
  const map = registry.create({ type: 'sk_storage', keySize: 4, valueSize: 16, maxEntries: 0, flags: BPF_F_NO_PREALLOC, btfKeyTypeId: 1, btfValueTypeId: 3 }) as SkStorageMap;
  const array = registry.create({ type: 'array', keySize: 4, valueSize: 16, maxEntries: 1 });
  const [get, del] = skStorageHelpers(registry, table);
  const ctx = createHelperContext(space);
  const [listener, timewait] = table.list();
  const addr = Number(get.fn(ctx, BigInt(map.address), BigInt(listener.address), 0n, 1n, 0n));
  assert.ok(addr > 0);
  space.bytes.set([7, 0, 0, 0], addr);
  assert.deepEqual([...map.lookup(Uint8Array.of(1, 0, 0, 0))!.subarray(0, 4)], [7, 0, 0, 0], 'userspace reads what the program wrote');
  assert.equal(Number(get.fn(ctx, BigInt(map.address), BigInt(listener.tcpAddress), 0n, 0n, 0n)), addr, 'a tcp_sock pointer names the same socket');
  assert.equal(get.fn(ctx, BigInt(map.address), BigInt(timewait.address), 0n, 1n, 0n), 0n, 'a timewait socket has no storage');
  assert.equal(del.fn(ctx, BigInt(map.address), BigInt(timewait.address), 0n, 0n, 0n), BigInt.asUintN(64, -22n), 'delete on it: -EINVAL');
  assert.equal(get.fn(ctx, BigInt(map.address), 0n, 0n, 1n, 0n), 0n, 'a NULL socket');
  assert.equal(del.fn(ctx, BigInt(map.address), BigInt(listener.address), 0n, 0n, 0n), 0n);
  assert.equal(map.lookup(Uint8Array.of(1, 0, 0, 0)), undefined);
  assert.throws(() => get.fn(ctx, BigInt(array.address), BigInt(listener.address), 0n, 1n, 0n), (e: unknown) => e instanceof RuntimeError && /is a array map, not a socket storage/.test(e.message));
  assert.throws(() => del.fn(ctx, BigInt(map.address), 0x10n, 0n, 0n, 0n), /r2 \(0x10\) is not a socket of this runtime/);
});

test('a runtime drops the storage of a test run\'s socket with it: no region outlives the run', () => {
  for (const engine of ['interp', 'jit'] as const) {
    const rt = new Runtime({ engine });
    try {
      const c = Collection.load(spec('tc', COUNTER), { runtime: rt });
      c.programs.prog.testRun({ data: FRAME, ctx: new Uint8Array(192) });
      const before = rt.space.regions().length;
      const r = c.programs.prog.testRun({ data: FRAME, ctx: new Uint8Array(192), repeat: 2 });
      assert.equal(new DataView(r.ctxOut.buffer, r.ctxOut.byteOffset + CB).getUint32(0, true), 2, engine);
      assert.equal(rt.space.regions().length, before, `${engine}: the run's socket and its storage are given back`);
      c.dispose();
    } finally {
      rt.dispose();
    }
  }
});

/** cb[0] = ++n of the storage of the listener on 10.2.0.2:80 that bpf_sk_lookup_tcp finds (made on first use). */
const LISTENER_COUNTER = lines(
  'r6 = r1', 'r1 = 0x0100010a', '*(u32 *)(r10 - 16) = r1', 'r1 = 0x0200020a', '*(u32 *)(r10 - 12) = r1',
  'r1 = 0xd204', '*(u16 *)(r10 - 8) = r1', 'r1 = 0x5000', '*(u16 *)(r10 - 6) = r1',
  'r1 = r6', 'r2 = r10', 'r2 += -16', 'r3 = 12', 'r4 = -1', 'r5 = 0', 'call bpf_sk_lookup_tcp', 'if r0 == 0 goto out', 'r7 = r0',
  'r1 = STG ll', 'r2 = r7', 'r3 = 0', 'r4 = 1', 'call bpf_sk_storage_get', 'if r0 == 0 goto release',
  'r1 = *(u64 *)(r0 + 0)', 'r1 += 1', '*(u64 *)(r0 + 0) = r1', '*(u32 *)(r6 + 48) = r1',
  'release:', 'r1 = r7', 'call bpf_sk_release',
  'out:', 'r0 = 1', 'exit',
);

test('a table socket\'s storage outlives test runs, and userspace reads, writes and deletes it by the socket\'s cookie', () => {
  for (const engine of ['interp', 'jit'] as const) {
    const rt = new Runtime({ engine, sockets: [{ protocol: 'tcp', localIp: '10.2.0.2', localPort: 80, cookie: 5 }] });
    try {
      const c = Collection.load(spec('tc', LISTENER_COUNTER), { runtime: rt });
      const counter = (repeat: number) => {
        const r = c.programs.prog.testRun({ data: FRAME, ctx: new Uint8Array(192), repeat });
        return new DataView(r.ctxOut.buffer, r.ctxOut.byteOffset + CB).getUint32(0, true);
      };
      const map = c.maps.stg;
      const key = Uint8Array.of(5, 0, 0, 0);
      assert.equal(map.lookup(key), undefined, `${engine}: no storage before a program makes it`);
      assert.deepEqual([counter(2), counter(1), counter(3)], [2, 3, 6], `${engine}: the storage lives on`);
      assert.equal(new DataView(map.lookup(key)!.buffer).getBigUint64(0, true), 6n, `${engine}: userspace reads it`);
      const value = new Uint8Array(16);
      new DataView(value.buffer).setBigUint64(0, 40n, true);
      map.update(key, value, 0);
      assert.equal(counter(1), 41, `${engine}: the program sees userspace's update`);
      map.delete(key);
      assert.equal(counter(1), 1, `${engine}: made anew after userspace deleted it`);
      c.dispose();
    } finally {
      rt.dispose();
    }
  }
});
