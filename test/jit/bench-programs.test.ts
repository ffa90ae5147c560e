/**
 * The helper- and map-heavy benchmark programs (testdata/obj/bench.o) give
 * the same results on the interpreter, the JIT (whose intrinsics run the
 * hottest helpers in wasm) and the kernel: r0, the contents of the maps they touch and,
 * on our engines, the ring buffer records — run after run, as state builds
 * up. Results only, never timings.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { Collection, KernelCollection, type LoadedCollection } from '../../src/runtime/index.js';
import { benchObject } from '../../bench/bench-object.js';
import { OBJECT_PROGRAMS, benchInput, drainRing, mapSnapshot, prepareBenchCollection } from '../../bench/jit-programs.js';
import { kernelOrSkip } from '../kernel/env.js';

const RUNS = 3;

interface Outcome {
  r0: number[];
  maps: string[][][];
  records: string[][];
}

/** Run every benchmark program RUNS times on `c`, recording what each run leaves behind. */
function outcomes(c: LoadedCollection, readRing: boolean): Record<string, Outcome> {
  prepareBenchCollection(c);
  const input = benchInput();
  const out: Record<string, Outcome> = {};
  for (const p of OBJECT_PROGRAMS) {
    const o: Outcome = { r0: [], maps: [], records: [] };
    for (let run = 0; run < RUNS; run++) {
      o.r0.push(c.programs[p.program].testRun({ data: input }).retval);
      o.maps.push(p.maps.map((m) => mapSnapshot(c.maps[m])));
      if (p.ring && readRing) o.records.push(drainRing(c, p.ring.map));
    }
    out[p.name] = o;
  }
  return out;
}

function withCollection<T>(make: () => LoadedCollection, body: (c: LoadedCollection) => T): T {
  const c = make();
  try {
    return body(c);
  } finally {
    c.dispose();
  }
}

const spec = benchObject();
/** Unverified (`verify: false`): our verifier gives up on hash_counter at the 1,000,000-instruction limit where the kernel accepts it. */
const local = (engine: 'interp' | 'jit') => withCollection(() => Collection.load(spec, { engine, verify: false }), (c) => outcomes(c, true));

test('bench.o: the interpreter\'s results are what the programs compute', () => {
  const interp = local('interp');
  assert.deepEqual(interp['hash counter'].r0, [0, 64, 64], 'the first run inserts every key, the next ones find them');
  assert.equal(interp['hash counter'].maps[2][0].length, new Set(interp['hash counter'].maps[2][0]).size);
  assert.ok(interp['lpm route'].r0.every((r) => r !== 0), 'lpm_route finds routes');
  assert.deepEqual(interp['ringbuf output'].r0, [8, 8, 8]);
  assert.equal(interp['ringbuf output'].records[0].length, 8);
  assert.equal(new Set(interp['tail-call chain'].r0).size, 1, 'the chain restarts its accumulator on every run');
});

test('bench.o: the JIT agrees with the interpreter run after run (r0, maps, ring buffer records)', () => {
  const interp = local('interp');
  assert.deepEqual(local('jit'), interp);
});

test('bench.o: the kernel agrees with the interpreter (r0 and maps)', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const interp = local('interp');
  const k = withCollection(() => KernelCollection.load(spec, { kernel }), (c) => outcomes(c, false));
  for (const p of OBJECT_PROGRAMS) {
    assert.deepEqual(k[p.name].r0, interp[p.name].r0, `${p.name}: r0`);
    assert.deepEqual(k[p.name].maps, interp[p.name].maps, `${p.name}: maps`);
  }
});
