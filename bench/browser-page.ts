/**
 * The browser side of the browser benchmark (browser.ts loads this module
 * in a Chromium page, test/browser/chromium.ts): the JIT's run time on the
 * compute-bound programs, and its compile passes over large.o's programs
 * (compile-work.ts). Wall time from performance.now(), 5 µs apart on a
 * cross-origin isolated page; browser.ts reads the renderer's CPU time
 * around the compile passes.
 */
import { assemble } from '../src/asm/index.js';
import { Jit } from '../src/jit/index.js';
import { loadCollectionSpec } from '../src/elf/index.js';
import { AddressSpace } from '../src/memory/index.js';
import { Collection } from '../src/runtime/collection.js';
import { CompileWork, type LoadMode, type Loaded } from './compile-work.js';
import { OBJECT_PROGRAMS, drainRing, prepareBenchCollection, ringMaxRuns } from './jit-programs.js';
import { nsPerRun } from './timing.js';

let work: CompileWork | undefined;
/** The programs of the last compilePasses call, kept for rerun (their Jits disposed by the next call). */
let last: Loaded[] = [];

/** Fetch and inflate large.o (a URL under testdata/), and make the compile workload of it. */
export async function openCompileWork(url: string): Promise<{ programs: number; insns: number }> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const inflated = response.body!.pipeThrough(new DecompressionStream('gzip'));
  work = new CompileWork(new Uint8Array(await new Response(inflated).arrayBuffer()));
  return { programs: work.programs.length, insns: work.total };
}

/**
 * `passes` compile passes (a fresh Jit each, the programs salted, loaded as
 * `mode` says; `combined`: the one program made of all of them); the
 * instructions loaded. The programs stay loaded for rerun.
 */
export function compilePasses(mode: LoadMode, verified: boolean, passes: number, combined = false): number {
  const w = work!;
  release();
  let insns = 0;
  for (let k = 0; k < passes; k++) {
    const batch = combined ? w.combined() : w.salted();
    insns += batch.reduce((n, p) => n + p.length, 0);
    last.push(w.load(batch, mode, verified));
  }
  return insns;
}

/** Run every program of the last compilePasses once more: what the runs cost once their machine code is made. */
export function rerun(): void {
  for (const { programs } of last) for (const p of programs) work!.runOnce(p);
}

/** Dispose the Jits of the last compilePasses. */
export function release(): void {
  for (const { jit } of last) jit.dispose();
  last = [];
}

/** The page's clock for nsPerRun, in seconds: wall time, 5 µs apart on a cross-origin isolated page. */
const wallClock = () => performance.now() / 1000;

/**
 * Nanoseconds per run of `source` (assembly) on the JIT, loaded as verified,
 * with `input` at r1 and r2 = its length; and the program's r0.
 */
export function jitNsPerRun(source: string, input: readonly number[], warmMs = 300, batchMs = 200): { r0: string; ns: number } {
  const space = new AddressSpace();
  const region = space.alloc('input', input.length, 'data');
  space.write(region.start, new Uint8Array(input));
  const args = { r1: BigInt(region.start), r2: BigInt(input.length) };
  const prog = new Jit(space).load(assemble(source), { verified: true });
  const r0 = prog.run(args).r0;
  return { r0: r0.toString(), ns: nsPerRun((n) => { for (let i = 0; i < n; i++) prog.run(args); }, wallClock, { warm: warmMs / 1000, batch: batchMs / 1000 }) };
}

/**
 * Nanoseconds per run of one program of bench.o (`object`: its bytes) on
 * the JIT, the object loaded as a verified collection and its maps filled
 * as jit.ts fills them (prepareBenchCollection), run by test runs of
 * `repeat` n on `input` (its ring buffer drained between batches, as in
 * jit.ts); and its return value on a second run.
 */
export function objectNsPerRun(object: readonly number[], name: string, input: readonly number[], warmMs = 300, batchMs = 200): { retval: number; ns: number } {
  const p = OBJECT_PROGRAMS.find((o) => o.name === name);
  if (!p) throw new Error(`no bench.o program named ${name}`);
  const c = Collection.load(loadCollectionSpec(new Uint8Array(object)), { engine: 'jit' });
  try {
    prepareBenchCollection(c);
    const data = new Uint8Array(input);
    const prog = c.programs[p.program];
    // jit.ts reports the second run's: the first fills the maps some programs then hit.
    prog.testRun({ data });
    const retval = prog.testRun({ data }).retval;
    const { ring } = p;
    const reset = ring === undefined ? undefined : () => { drainRing(c, ring.map); };
    return { retval, ns: nsPerRun((n) => { prog.testRun({ data, repeat: n }); }, wallClock, { warm: warmMs / 1000, batch: batchMs / 1000, maxRuns: ringMaxRuns(c, p), reset }) };
  } finally {
    c.dispose();
  }
}
