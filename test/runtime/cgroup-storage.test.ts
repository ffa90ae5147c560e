/**
 * bpf_get_local_storage and the cgroup storage maps through test runs of
 * cgroup_skb programs, on both engines and the kernel with equal results:
 * BPF_PROG_TEST_RUN gives each run fresh zeroed storages, which the
 * repetitions of one run share (a counter counts the repetitions and starts
 * over on the next run), and userspace never sees them. Then the helper on
 * its own: the per-CPU copy of the running CPU, an attached cgroup's
 * element, and the errors of a run without storages.
 *
 * Each program writes its results as u32 into the __sk_buff's cb[], which
 * the test run hands back in ctx_out, and returns 1 (pass).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../src/asm/index.js';
import type { CollectionSpec, MapSpec } from '../../src/elf/index.js';
import {
  BPF_FUNC_get_local_storage, CgroupStorageRuns, RuntimeError, createHelperContext, localStorageHelpers,
} from '../../src/helpers/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { BPF_ATTACH_TYPE, BPF_MAP_TYPE, BPF_PROG_TYPE, helperIdByName } from '../../src/platform/index.js';
import { BPF_PSEUDO_MAP_IDX } from '../../src/isa/index.js';
import { CgroupStorageMap, MapRegistry } from '../../src/maps/index.js';
import { Runtime, loadCollection, type EngineKind } from '../../src/runtime/index.js';
import { kernelOrSkip } from '../kernel/env.js';
import { ipv4Frame } from '../helpers/sock-util.js';

const FRAME = ipv4Frame('10.1.0.1', '10.2.0.2');
const CB = 48;
/** What `rN = SHARED ll` / `rN = PERCPU ll` load: the collection's two cgroup storages. */
const SHARED = 0x7ead_0001;
const PERCPU = 0x7ead_0002;

const storageSpec = (name: string, type: number, keySize: number, valueSize: number): MapSpec => ({
  name, origin: 'btf', section: '.maps', type, keySize, valueSize, maxEntries: 0, flags: 0,
  numaNode: 0, mapExtra: 0, pinning: 0, btfKeyTypeId: 0, btfValueTypeId: 0, initSlots: [], frozen: false,
});

/**
 * A one-program cgroup_skb collection (ingress) with a shared storage
 * `shared` (struct bpf_cgroup_storage_key, 8-byte value) and a per-CPU
 * storage `percpu` (u64 cgroup id key, 16-byte value): `SHARED ll` and
 * `PERCPU ll` refer to them.
 */
function spec(text: string): CollectionSpec {
  const insns = assemble(text, { helperId: helperIdByName }).map((ins) => {
    if (ins.code !== 0x18 || (ins.imm !== SHARED && ins.imm !== PERCPU)) return ins;
    return { ...ins, src: BPF_PSEUDO_MAP_IDX, imm: ins.imm === SHARED ? 0 : 1 };
  });
  return {
    byteOrder: 'le', license: 'GPL', kernelVersion: 0, variables: [], btf: null,
    maps: [storageSpec('shared', BPF_MAP_TYPE.CGROUP_STORAGE, 16, 8), storageSpec('percpu', BPF_MAP_TYPE.PERCPU_CGROUP_STORAGE, 8, 16)],
    programs: [{
      name: 'prog', sectionName: 'cgroup_skb/ingress', type: BPF_PROG_TYPE.CGROUP_SKB,
      expectedAttachType: 0, attachTo: '', flags: 0, license: 'GPL', kernelVersion: 0, insns,
      functions: [{ name: 'prog', section: 'cgroup_skb/ingress', insnOff: 0, insnCnt: insns.length }], funcInfo: [], lineInfo: [], coreRelos: [],
    }],
  };
}

const asm = (...lines: string[]) => lines.join('\n').replaceAll('SHARED', String(SHARED)).replaceAll('PERCPU', String(PERCPU));

/** cb[0] = ++shared counter (an atomic add), cb[1] = the value before the add. */
const SHARED_COUNTER = asm(
  'r6 = r1', 'r2 = 0', 'r1 = SHARED ll', 'call bpf_get_local_storage',
  'r1 = 1', 'r1 = atomic_fetch_add((u64 *)(r0 + 0), r1)', '*(u32 *)(r6 + 52) = r1',
  'r1 = *(u64 *)(r0 + 0)', '*(u32 *)(r6 + 48) = r1', 'r0 = 1', 'exit',
);

/** cb[0] = the per-CPU value's second u64 after adding 3; cb[1] = its first u64, never written (0). */
const PERCPU_COUNTER = asm(
  'r6 = r1', 'r2 = 0', 'r1 = PERCPU ll', 'call bpf_get_local_storage',
  'r1 = *(u64 *)(r0 + 8)', 'r1 += 3', '*(u64 *)(r0 + 8) = r1', '*(u32 *)(r6 + 48) = r1',
  'r1 = *(u64 *)(r0 + 0)', '*(u32 *)(r6 + 52) = r1', 'r0 = 1', 'exit',
);

/**
 * Both storages: cb[0] = shared counter, cb[1] = per-CPU counter (+10),
 * cb[2] = 1 when a second call for the shared map returns the same address,
 * cb[3] = 1 when the two storages are apart.
 */
const BOTH = asm(
  'r6 = r1', 'r2 = 0', 'r1 = SHARED ll', 'call bpf_get_local_storage', 'r7 = r0',
  'r2 = 0', 'r1 = PERCPU ll', 'call bpf_get_local_storage', 'r8 = r0',
  'r1 = *(u64 *)(r7 + 0)', 'r1 += 1', '*(u64 *)(r7 + 0) = r1', '*(u32 *)(r6 + 48) = r1',
  'r1 = *(u64 *)(r8 + 0)', 'r1 += 10', '*(u64 *)(r8 + 0) = r1', '*(u32 *)(r6 + 52) = r1',
  'r2 = 0', 'r1 = SHARED ll', 'call bpf_get_local_storage',
  'r1 = 0', 'if r0 != r7 goto +1', 'r1 = 1', '*(u32 *)(r6 + 56) = r1',
  'r1 = 0', 'if r7 == r8 goto +1', 'r1 = 1', '*(u32 *)(r6 + 60) = r1',
  'r0 = 1', 'exit',
);

const ENGINES: EngineKind[] = ['interp', 'jit', 'kernel'];

/**
 * cb[0..3] after each test run of `text` with the given repeat counts, one
 * collection for all of them; then the keys userspace sees in both maps
 * (none: a test run's storages are linked to no map). Undefined when the
 * kernel is out of reach (the test is skipped).
 */
function runs(t: TestContext, engine: EngineKind, text: string, repeats: number[]): { cb: number[][]; keys: number } | undefined {
  let c;
  if (engine === 'kernel') {
    const kernel = kernelOrSkip(t);
    if (!kernel) return undefined;
    c = loadCollection(spec(text), { engine, kernel });
  } else {
    c = loadCollection(spec(text), { engine });
  }
  try {
    const cb = repeats.map((repeat) => {
      const r = c.programs.prog.testRun({ data: FRAME, ctx: new Uint8Array(192), repeat });
      assert.equal(r.retval, 1, `${engine}: retval`);
      const v = new DataView(r.ctxOut.buffer, r.ctxOut.byteOffset + CB, 16);
      return [0, 1, 2, 3].map((i) => v.getUint32(4 * i, true));
    });
    const keys = [c.maps.shared, c.maps.percpu].filter((m) => m.nextKey() !== undefined).length;
    return { cb, keys };
  } finally {
    c.dispose();
  }
}

/** The same runs on every engine; the kernel's results (when it is reachable) equal ours. */
function onEveryEngine(t: TestContext, text: string, repeats: number[], expected: number[][]): void {
  for (const engine of ENGINES) {
    const got = runs(t, engine, text, repeats);
    if (!got) continue;
    assert.deepEqual(got.cb, expected, `${engine}: cb after runs with repeat ${repeats.join(', ')}`);
    assert.equal(got.keys, 0, `${engine}: userspace sees no element`);
  }
}

test('a shared storage is fresh and zeroed for each test run, and shared by its repetitions', (t) => {
  // cb[0]: the count after the run; cb[1]: the count before the last repetition.
  onEveryEngine(t, SHARED_COUNTER, [0, 1, 5, 1, 3], [[1, 0, 0, 0], [1, 0, 0, 0], [5, 4, 0, 0], [1, 0, 0, 0], [3, 2, 0, 0]]);
});

test('a per-CPU storage is fresh and zeroed for each test run, and shared by its repetitions', (t) => {
  onEveryEngine(t, PERCPU_COUNTER, [1, 4, 2], [[3, 0, 0, 0], [12, 0, 0, 0], [6, 0, 0, 0]]);
});

test('a program with both storage types gets one of each, the same on every call', (t) => {
  onEveryEngine(t, BOTH, [1, 7], [[1, 10, 1, 1], [7, 70, 1, 1]]);
});

// ---- the helper on its own ------------------------------------------------------------------------------

function world(nrCpus: number, cpu: number) {
  const space = new AddressSpace();
  const registry = new MapRegistry(space, { nrCpus });
  const runs = new CgroupStorageRuns();
  const [def] = localStorageHelpers(registry, runs);
  const ctx = createHelperContext(space, { cpu });
  const call = (map: number | bigint, flags = 0n) => def.fn(ctx, BigInt(map), flags, 0n, 0n, 0n);
  return { space, registry, runs, def, call };
}

test('bpf_get_local_storage has the kernel id and returns the running CPU\'s copy of a per-CPU storage', () => {
  const { registry, runs, def, call } = world(3, 2);
  assert.equal(def.id, BPF_FUNC_get_local_storage);
  assert.equal(def.name, 'bpf_get_local_storage');
  const map = registry.create({ type: 'percpu_cgroup_storage', keySize: 16, valueSize: 12, maxEntries: 0 }) as CgroupStorageMap;
  // The element a cgroup attachment of a program using the map makes: (cgroup 7, egress).
  const element = map.linkStorage(7n, BPF_ATTACH_TYPE.CGROUP_INET_EGRESS);
  const leave = runs.enter([undefined, element]);
  const addr = Number(call(map.address));
  leave();
  assert.equal(addr, map.valueAddress(element, 2));
  registry.mem.refresh().u8.set([0xaa, 0xbb], addr);
  const key = new Uint8Array(16);
  new DataView(key.buffer).setBigUint64(0, 7n, true);
  new DataView(key.buffer).setUint32(8, BPF_ATTACH_TYPE.CGROUP_INET_EGRESS, true);
  const value = map.lookup(key)!;
  // Three CPUs' slots of round_up(12, 8) = 16 bytes; CPU 2's holds the write.
  assert.equal(value.length, 48);
  assert.deepEqual([...value.subarray(32, 34)], [0xaa, 0xbb]);
  assert.ok(value.subarray(0, 32).every((b) => b === 0));
});

test('bpf_get_local_storage outside a run, or on a map that is no cgroup storage, is a RuntimeError', () => {
  const { registry, runs, call } = world(1, 0);
  const storage = registry.create({ type: 'cgroup_storage', keySize: 8, valueSize: 8, maxEntries: 0 }) as CgroupStorageMap;
  const array = registry.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
  assert.throws(() => call(storage.address), (e: unknown) => e instanceof RuntimeError && /the run has no cgroup_storage/.test(e.message));
  // A run with only a per-CPU storage has no shared one.
  const percpu = registry.create({ type: 'percpu_cgroup_storage', keySize: 8, valueSize: 8, maxEntries: 0 });
  const free = runs.testRun([percpu]);
  assert.throws(() => call(storage.address), /the run has no cgroup_storage/);
  free();
  assert.throws(() => call(array.address), (e: unknown) => e instanceof RuntimeError && /is a array map, not a cgroup storage/.test(e.message));
  assert.throws(() => call(0x10n), /is not a map, not a cgroup storage/);
});

test('a test run\'s storages are allocated zeroed for the run and given back after it', () => {
  const { space, registry, runs, call } = world(1, 0);
  const map = registry.create({ type: 'cgroup_storage', keySize: 16, valueSize: 64, maxEntries: 0 });
  const before = space.regions().length;
  const free = runs.testRun([map]);
  assert.equal(space.regions().length, before + 1);
  const addr = Number(call(map.address));
  assert.ok(space.bytes.subarray(addr, addr + 64).every((b) => b === 0));
  space.bytes.fill(0xff, addr, addr + 64);
  free();
  assert.equal(space.regions().length, before);
  const again = runs.testRun([map]);
  const addr2 = Number(call(map.address));
  assert.ok(space.bytes.subarray(addr2, addr2 + 64).every((b) => b === 0), 'the next run\'s storage is zeroed again');
  again();
});

test('a runtime program without a test run has no storage to give: a RuntimeError, not a wild pointer', () => {
  for (const engine of ['interp', 'jit'] as const) {
    const rt = new Runtime({ engine });
    try {
      const map = rt.registry.create({ type: 'cgroup_storage', keySize: 16, valueSize: 8, maxEntries: 0 });
      const prog = rt.load(assemble('r2 = 0\nr1 = 0 ll\ncall bpf_get_local_storage\nr0 = 1\nexit', { helperId: helperIdByName })
        .map((ins) => (ins.code === 0x18 ? { ...ins, src: BPF_PSEUDO_MAP_IDX } : ins)), { type: 'cgroup_skb', maps: [map] });
      assert.throws(() => prog.run({}), (e: unknown) => e instanceof RuntimeError && /the run has no cgroup_storage/.test(e.message), engine);
    } finally {
      rt.dispose();
    }
  }
});
