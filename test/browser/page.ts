/**
 * Checks that run the same in Node.js and in a browser page (chromium.ts
 * loads this module there): each takes and returns plain data (numbers,
 * strings, arrays), so a test calls it in Node and in Chromium and
 * compares. It imports the core entry, as a browser application would
 * (and the core's hex helper).
 */
import { AddressSpace, Collection, EbpfError, Jit, Vm, assemble, decodeInsns, loadCollectionSpec, mapEntries } from '../../src/index.js';
import { toHex } from '../../src/internal/bytes.js';
import { engine, runCase } from '../jit/diff-engine.js';

/** One conformance program: its instructions as bytes, its memory, and what it must give. */
export interface ConformanceCase {
  file: string;
  code: number[];
  mem?: number[];
  /** Expected r0, in hex. */
  result?: string;
  /** Whether it must fail with one of our errors (EbpfError). */
  error?: boolean;
  /** The class that error must be, when one is required (InstructionError for an invalid instruction). */
  errorClass?: string;
}

export type EngineName = 'jit' | 'interp';

/** Where the page runs: what the tests check before trusting its figures. */
export function environment(): { crossOriginIsolated: boolean; sharedArrayBuffer: boolean; userAgent: string } {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { userAgent: string } };
  return { crossOriginIsolated: g.crossOriginIsolated === true, sharedArrayBuffer: typeof SharedArrayBuffer === 'function', userAgent: g.navigator?.userAgent ?? `Node.js ${typeof process === 'object' ? process.version : ''}` };
}

/**
 * The conformance suite's contract (the mem section as a region, r1 = its
 * address, r2 = its length) on one engine, over one address space (shared:
 * wasm atomics on a SharedArrayBuffer); the failures, worded.
 */
export function conformance(cases: readonly ConformanceCase[], engine: EngineName, shared: boolean): { passed: number; failures: string[] } {
  const space = new AddressSpace({ shared });
  const load = engine === 'jit' ? (() => { const jit = new Jit(space); return (c: ConformanceCase) => jit.load(decodeInsns(new Uint8Array(c.code))); })()
    : (() => { const vm = new Vm(space); return (c: ConformanceCase) => vm.load(decodeInsns(new Uint8Array(c.code))); })();
  const failures: string[] = [];
  let passed = 0;
  for (const c of cases) {
    const mem = c.mem && c.mem.length > 0 ? space.alloc(c.file, c.mem.length, 'data') : undefined;
    try {
      if (mem) space.write(mem.start, new Uint8Array(c.mem!));
      const r0 = load(c).run({ r1: BigInt(mem?.start ?? 0), r2: BigInt(mem?.size ?? 0) }).r0;
      if (c.error) failures.push(`${c.file}: ran to r0=0x${r0.toString(16)}, expected an error`);
      else if (r0 !== BigInt(`0x${c.result}`)) failures.push(`${c.file}: r0=0x${r0.toString(16)}, expected 0x${c.result}`);
      else passed++;
    } catch (e) {
      if (!c.error || !(e instanceof EbpfError) || (c.errorClass !== undefined && e.name !== c.errorClass)) failures.push(`${c.file}: ${describe(e)}`);
      else passed++;
    } finally {
      if (mem) space.release(mem);
    }
  }
  return { passed, failures };
}

/** What one program of an object did on one packet: its return value and packet out, or its error (class and message). */
export interface ObjectRun {
  program: string;
  retval?: number;
  dataOut?: string;
  error?: string;
}

/**
 * Load an object (its bytes) as a collection on `engine` and test-run each
 * program twice on `packet`, in name order, with a fixed clock and a
 * seeded bpf_get_prandom_u32, so that two platforms can be compared
 * byte for byte; then every map's entries (hex key=value, in key order).
 * A load that throws gives its error in `load`. `verify`: as
 * CollectionOptions.verify (the JIT leaves out its run-time checks for
 * verified programs).
 */
export function objectRuns(object: readonly number[], engine: EngineName, packet: readonly number[], verify = true): { load?: string; runs: ObjectRun[]; maps: Record<string, string[]> } {
  let seed = 0x2545f491;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed;
  };
  let collection;
  try {
    collection = Collection.load(loadCollectionSpec(new Uint8Array(object)), { engine, verify, host: { random } });
  } catch (e) {
    return { load: describe(e), runs: [], maps: {} };
  }
  try {
    const runs: ObjectRun[] = [];
    for (const name of Object.keys(collection.programs).sort()) {
      for (let k = 0; k < 2; k++) {
        try {
          const r = collection.programs[name].testRun({ data: new Uint8Array(packet) });
          runs.push({ program: name, retval: r.retval, dataOut: toHex(r.dataOut) });
        } catch (e) {
          runs.push({ program: name, error: describe(e) });
        }
      }
    }
    const maps: Record<string, string[]> = {};
    for (const name of Object.keys(collection.maps).sort()) {
      maps[name] = mapEntries(collection.maps[name]).map(([key, value]) => `${toHex(key)}=${value ? toHex(value) : '-'}`).sort();
    }
    return { runs, maps };
  } finally {
    collection.dispose();
  }
}

/** An error as a test compares it: its class and message (a class of our own is part of the contract). */
function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * The JIT's sandbox with the verifier off: a program that stores 8 bytes at
 * every 4 KiB step from address 0 runs until its store traps past the end
 * of its memory; another runtime's memory and a JavaScript buffer must be
 * untouched. Then a store at a 64-bit address whose low half is inside the
 * memory: it must fault, writing nothing.
 */
export function sandbox(): { sweep: string; landed: string; bystander: boolean; js: boolean; high: string; highWrote: string } {
  const space = new AddressSpace();
  const jit = new Jit(space);
  const bystander = new AddressSpace();
  bystander.bytes.fill(0xaa);
  const js = new Uint8Array(4096).fill(0x55);
  const run = (source: string) => {
    try {
      jit.load(assemble(source)).run();
      return 'no error';
    } catch (e) {
      return describe(e);
    }
  };
  const sweep = run('r1 = 0\nr2 = 0x1122334455667788 ll\n*(u64 *)(r1 + 0) = r2\nr1 += 4096\ngoto -3\nexit');
  const view = new DataView(space.memory.buffer);
  const high = 0xffff_0000_0000_0000n + BigInt(jit.frameStart(0));
  return {
    sweep, landed: view.getBigUint64(4096 * 7, true).toString(16),
    bystander: bystander.bytes.every((b) => b === 0xaa), js: js.every((b) => b === 0x55),
    high: run(`r1 = 0x${high.toString(16)} ll\n*(u64 *)(r1 + 0) = 9\nexit`), highWrote: view.getBigUint64(jit.frameStart(0), true).toString(16),
  };
}

/** One program of the differential harness (test/jit/gen.ts): its instructions as bytes, its input. */
export interface DiffCase {
  code: number[];
  input: number[];
}

/**
 * The differential harness's engine `kind` (test/jit/diff-engine.ts) on
 * each case (`verified`: the JIT loads them as verified programs): its outcome (r0 and the instruction count, or the fault's pc
 * and message) and a digest of the whole memory afterwards (FNV-1a over
 * its 32-bit words), as text, for another platform's to be compared with.
 */
export function differential(cases: readonly DiffCase[], kind: EngineName, verified = false): { outcome: string; memory: string }[] {
  const e = engine(kind, verified);
  return cases.map((c) => {
    const o = runCase(e, decodeInsns(new Uint8Array(c.code)), new Uint8Array(c.input), verified);
    const words = new Int32Array(e.space.memory.buffer, 0, e.space.memory.buffer.byteLength >> 2);
    let h = 0x811c9dc5;
    for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193);
    return { outcome: JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)), memory: (h >>> 0).toString(16) };
  });
}
