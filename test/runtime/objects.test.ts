/**
 * Every testdata object loads into a Collection, and the programs of the
 * feature objects run with asserted results — on the interpreter, the JIT
 * and, where bpf(2) works, the kernel (which must agree).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { loadCollectionSpec, type CollectionSpec } from '../../src/elf/index.js';
import {
  Collection, CollectionError, loadCollection, mapEntries, TestRunError, type EngineKind, type LiveMap, type LoadedCollection, type TestRunOptions,
} from '../../src/runtime/index.js';
import { KernelError } from '../../src/kernel/index.js';
import { toHex } from '../../src/internal/bytes.js';
import { repoRoot } from '../paths.js';
import { kernelOrSkip } from '../kernel/env.js';
import { u32le, u64le, udpPacket } from './packets.js';

const objDir = join(repoRoot, 'testdata', 'obj');
const manifest = JSON.parse(readFileSync(join(objDir, 'manifest.json'), 'utf8')) as { objects: Record<string, { target: string }> };
const bytesOf = (name: string): Uint8Array => {
  const raw = readFileSync(join(objDir, name));
  return name.endsWith('.gz') ? gunzipSync(raw) : raw;
};
const specOf = (name: string): CollectionSpec => loadCollectionSpec(bytesOf(name));
const coreTarget = () => specOf('core_target.o').btf!;

/**
 * Objects with a program our verifier refuses, loaded unverified (`verify: false`) to test the loading alone;
 * test/runtime/load.test.ts checks that a verified load refuses them.
 */
const UNVERIFIABLE: Record<string, string> = {
  'programs.o': 'freplace_prog, struct_ops_prog and unknown_prog are of types our verifier cannot judge',
  'pkt_changes.o': 'five of its programs write through a packet pointer a call invalidated, which the kernel rejects too (test/verifier/objects.test.ts)',
};

for (const name of Object.keys(manifest.objects)) {
  if (manifest.objects[name].target === 'bpfeb') {
    test(`${name} (big-endian) is refused by a little-endian runtime, with the reason`, () => {
      assert.throws(() => Collection.load(specOf(name)), (err: Error) => err instanceof CollectionError && /big-endian/.test(err.message));
    });
    continue;
  }
  test(`${name} loads into a collection on the interpreter`, () => {
    const spec = specOf(name);
    const c = Collection.load(spec, { ...(name === 'core.o' ? { coreTarget: coreTarget() } : {}), ...(UNVERIFIABLE[name] ? { verify: false } : {}) });
    try {
      assert.deepEqual(Object.keys(c.programs).sort(), spec.programs.map((p) => p.name).sort());
      assert.deepEqual(Object.keys(c.maps).sort(), spec.maps.map((m) => m.name).sort());
    } finally {
      c.dispose();
    }
  });
}

const pkt = udpPacket();
const T = { xdp: { data: pkt }, skb: { data: pkt }, none: {} } as const;

/** program → [input, retval] of programs.o: each section's program type run once. */
const PROGRAMS: Record<string, [TestRunOptions, number]> = {
  xdp_pass: [T.xdp, 2], xdp_frags: [T.xdp, 1], xdp_second: [T.xdp, 3],
  tc_prog: [T.skb, 0], classifier_prog: [T.skb, 0], tcx_in: [T.skb, 0], tcx_out: [T.skb, 0],
  socket_prog: [T.skb, pkt.length - 14], cgroup_skb_in: [T.skb, 1], cgroup_skb_out: [T.skb, 1],
  raw_tracepoint_prog: [T.none, 0], raw_tp_prog: [T.none, 0], syscall_prog: [T.none, 0],
};
/** Types the kernel has no test run for; our runtime runs them on a ctx_in. */
const LOCAL_ONLY: Record<string, number> = {
  kprobe_prog: 0, kretprobe_prog: 0, uprobe_prog: 0, uretprobe_prog: 0, tracepoint_prog: 0, tp_prog: 0, perf_event_prog: 0,
};

function errnoOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof TestRunError) return err.errno;
    if (err instanceof KernelError) return err.errnoName;
    throw err;
  }
  return 'ok';
}

const dump = (map: LiveMap): Record<string, string> =>
  Object.fromEntries(mapEntries(map).map(([k, v]) => [toHex(k), v ? toHex(v) : '-']));

function withCollection(engine: EngineKind, name: string, programs: string[] | undefined, t: TestContext, body: (c: LoadedCollection) => void): void {
  const spec = specOf(name);
  let c: LoadedCollection;
  if (engine === 'kernel') {
    const kernel = kernelOrSkip(t);
    if (!kernel) return;
    c = loadCollection(spec, { engine, kernel, programs });
  } else {
    c = loadCollection(spec, { engine, programs });
  }
  try {
    body(c);
  } finally {
    c.dispose();
  }
}

for (const engine of ['interp', 'jit', 'kernel'] as const) {
  test(`programs.o on ${engine}: one program of each runnable type`, (t) => {
    withCollection(engine, 'programs.o', [...Object.keys(PROGRAMS), ...Object.keys(LOCAL_ONLY), 'xdp_devmap'], t, (c) => {
      for (const [prog, [input, retval]] of Object.entries(PROGRAMS)) {
        assert.equal(c.programs[prog].testRun(input).retval, retval, prog);
      }
      for (const [prog, retval] of Object.entries(LOCAL_ONLY)) {
        if (engine === 'kernel') assert.equal(errnoOf(() => c.programs[prog].testRun({})), 'ENOTSUPP', prog);
        else assert.equal(c.programs[prog].testRun({}).retval, retval, prog);
      }
      assert.equal(errnoOf(() => c.programs.xdp_devmap.testRun(T.xdp)), 'EINVAL', 'devmap programs have no test run');
    });
  });

  test(`legacy.o on ${engine}: counters in legacy maps`, (t) => {
    withCollection(engine, 'legacy.o', undefined, t, (c) => {
      assert.equal(c.programs.count_packets.testRun({ data: pkt }).retval, 0);
      assert.equal(c.programs.count_packets.testRun({ data: pkt }).retval, 0);
      const counters = dump(c.maps.counters);
      assert.equal(counters['08000000'], toHex(u64le(2n)), 'protocol 0x0800 as the program reads it: 0x0008, low byte 8');
      assert.equal(Object.values(counters).filter((v) => v !== toHex(u64le(0n))).length, 1);
    });
  });

  test(`globals.o on ${engine}: global data read and written`, (t) => {
    withCollection(engine, 'globals.o', undefined, t, (c) => {
      assert.equal(c.programs.use_globals.testRun({ data: pkt }).retval, 2, 'cfg.enabled: XDP_PASS');
      const data = c.maps['.data'].lookup(new Uint8Array(4))!;
      const v = new DataView(data.buffer, data.byteOffset);
      assert.equal(v.getInt32(0, true), 16, 'counter += static_var');
      assert.equal(v.getBigUint64(8, true), 0x1122334455667789n, 'big_counter++');
      const bss = c.maps['.bss'].lookup(new Uint8Array(4))!;
      const b = new DataView(bss.buffer, bss.byteOffset);
      assert.equal(b.getBigUint64(0, true), 1n, `hits: the ${pkt.length}-byte packet is over the threshold`);
      assert.equal(b.getUint32(8 + (pkt.length & 7) * 4, true), 1, 'histogram[len & 7]');
      assert.equal(toHex(c.maps['.data.custom'].lookup(new Uint8Array(4))!), '04000000', 'custom_value += custom_const');
    });
  });

  test(`subprogs.o on ${engine}: bpf-to-bpf calls and bpf_loop callbacks`, (t) => {
    withCollection(engine, 'subprogs.o', undefined, t, (c) => {
      assert.equal(c.programs.calls_static.testRun({ data: pkt }).retval, 1, 'sum_squares(ifindex 1, 2) & 3');
      assert.equal(c.programs.calls_global.testRun({ data: pkt }).retval, 9, 'global_twice(0) + square(3)');
      assert.equal(c.programs.no_calls.testRun({ data: pkt }).retval, 0);
      assert.equal(c.programs.uses_loop.testRun({ data: pkt }).retval, 0);
      // loop_step adds 0..9 (45); other_step adds i*i + 1 for i = 0..6 and stops after 6 (98).
      assert.equal(toHex(c.maps['.bss'].lookup(new Uint8Array(4))!), toHex(u64le(143n)));
      assert.equal(c.programs.calls_global.testRun({ data: pkt }).retval, 9 + 143, 'global_add adds total');
    });
  });

  test(`maps.o on ${engine}: spin lock, map-in-map, ring buffer, queue and a tail call through the prog array`, (t) => {
    withCollection(engine, 'maps.o', undefined, t, (c) => {
      c.maps.locked_hash.update(u32le(1), new Uint8Array(24));
      assert.equal(c.programs.entry.testRun({ data: pkt }).retval, 1, 'mark 0: key 0 & 1 = 0 tail-calls tail_a');
      const skb = new Uint8Array(192);
      skb[8] = 1;
      assert.equal(c.programs.entry.testRun({ data: pkt, ctx: skb }).retval, 2, 'mark 1 tail-calls tail_b');
      assert.equal(toHex(c.maps.locked_hash.lookup(u32le(1))!), toHex(new Uint8Array([...new Uint8Array(8), ...u64le(1n), ...u64le(BigInt(pkt.length))])));
      assert.deepEqual(dump(c.maps.pinned_array)['00000000'], toHex(u64le(1n)));
      assert.deepEqual(dump(c.maps.pinned_array)['01000000'], toHex(u64le(1n)));
      assert.deepEqual([c.maps.queue.lookupAndDelete(), c.maps.queue.lookupAndDelete()].map((v) => v && toHex(v)), ['00000000', '01000000']);
      assert.equal(c.maps.queue.lookupAndDelete(), undefined, 'the queue is empty');
    });
  });
}

test('core.o relocated against core_target.o: enum values as the target defines them', () => {
  const c = Collection.load(specOf('core.o'), { coreTarget: coreTarget() });
  try {
    assert.equal(c.programs.core_enums.testRun({}).retval, 0);
    const out = c.maps['.bss'].lookup(new Uint8Array(4))!;
    const v = new DataView(out.buffer, out.byteOffset);
    assert.deepEqual([12, 13, 14].map((i) => v.getBigUint64(i * 8, true)), [1n, 20n, 0n]);
  } finally {
    c.dispose();
  }
});

test('a collection of some programs: CO-RE only for them, prog arrays keep their programs, unknown names refused', () => {
  const core = Collection.load(specOf('core.o'), { programs: ['core_enums'] });
  try {
    assert.deepEqual(Object.keys(core.programs), ['core_enums'], 'core_types, whose relocations are ambiguous against its own BTF, is left out');
    core.programs.core_enums.testRun({});
    const out = core.maps['.bss'].lookup(new Uint8Array(4))!;
    const v = new DataView(out.buffer, out.byteOffset);
    assert.deepEqual([12, 13, 14].map((i) => v.getBigUint64(i * 8, true)), [1n, 2n, 1n], 'relocated against the object\'s own BTF');
  } finally {
    core.dispose();
  }
  const maps = Collection.load(specOf('maps.o'), { programs: ['entry'] });
  try {
    assert.deepEqual(Object.keys(maps.programs).sort(), ['entry', 'tail_a', 'tail_b']);
  } finally {
    maps.dispose();
  }
  assert.throws(() => Collection.load(specOf('maps.o'), { programs: ['nope'] }), (err: Error) => err instanceof CollectionError && /no program nope/.test(err.message));
});
