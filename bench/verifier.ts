/**
 * Verifier benchmark (issue 5): our `verify` against the kernel's
 * BPF_PROG_LOAD for the same programs, measured in the same run. Groups: the
 * largest testdata objects (large.o.gz, behaviour.o), the other testdata
 * objects, and the annotated corpus of small programs (test/verifier/corpus).
 *
 * The kernel's figure is the time spent inside the bpf(PROG_LOAD) syscalls
 * only (a Syscalls wrapper times them): maps, BTF and relocations are set up
 * by KernelCollection, untimed. A program the kernel rejects is loaded again
 * with a log to learn why; only the first attempt counts. Ours is `verify` at
 * log level 1 (the CLI's default), whose log is, like the kernel's, only
 * built for a rejection, after warm-up runs (the first, cold run is in the
 * JSON's details). Without bpf(2) the rows show our figures alone and say the
 * anchor is unavailable.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { loadCollectionSpec, type CollectionSpec } from '../src/elf/index.js';
import { libcSyscalls, openKernel, verifyOnKernel, type Kernel, type NativeMemory, type SyscallName, type Syscalls } from '../src/kernel/index.js';
import { KernelCollection, objectName, verifierInput } from '../src/runtime/index.js';
import { verify, type VerifyOptions } from '../src/verifier/index.js';
import type { Insn } from '../src/isa/index.js';
import { programType } from '../src/platform/program-types.js';
import fc from 'fast-check';
import { corpusFiles, kernelVerdict, parseCase } from '../test/verifier/corpus.js';
import { fuzzCaseArb, fuzzInsns } from '../test/verifier/fuzz-gen.js';
import { MapPool } from '../test/verifier/fuzz.js';
import { median, type BenchRow, type Suite } from './suite.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BPF_PROG_LOAD = 5;
/** offsetof(union bpf_attr, log_level) and (prog_name) for BPF_PROG_LOAD. */
const PROG_LOAD_LOG_LEVEL = 24;
const PROG_LOAD_NAME = 48;
/** Timed repetitions of each group (the median counts), on both sides: at least, and at most. */
const RUNS = 3;
const MAX_RUNS = 7;
/** Untimed runs of each group on our side first, and how long they take at least (see `ours`). */
const WARMUP = 6;
const WARMUP_MS = 4000;
/** How long the timed runs of our side take at least. */
const TIMED_MS = 500;

interface Job {
  insns: readonly Insn[];
  options: VerifyOptions;
}

interface Group {
  name: string;
  jobs: Job[];
  /** Loads every program of the group into the kernel once. */
  loadInKernel(kernel: Kernel, sys: TimedSyscalls): void;
}

/**
 * bpf(2) through libc, with the time spent in PROG_LOAD calls without a log
 * added up; `only` restricts that to the programs of those (object) names.
 */
class TimedSyscalls implements Syscalls {
  loadMs = 0;
  loads = 0;
  only: ReadonlySet<string> | undefined;
  /** What `alloc` handed out, by address: the attr of a PROG_LOAD says its log level. */
  private readonly memory = new Map<bigint, Uint8Array>();

  constructor(private readonly inner: Syscalls) {}

  syscall(name: SyscallName, args: readonly (number | bigint)[]): number {
    if (name !== 'bpf' || Number(args[0]) !== BPF_PROG_LOAD) return this.inner.syscall(name, args);
    const t = performance.now();
    const ret = this.inner.syscall(name, args);
    const ms = performance.now() - t;
    // A load with a log is the retry that learns why the kernel rejected: that is printing, not verifying.
    const attr = this.memory.get(BigInt(args[1]));
    if (attr && new DataView(attr.buffer, attr.byteOffset, attr.byteLength).getUint32(PROG_LOAD_LOG_LEVEL, true) === 0 &&
        (this.only === undefined || this.only.has(cstring(attr.subarray(PROG_LOAD_NAME, PROG_LOAD_NAME + 16))))) {
      this.loadMs += ms;
      this.loads++;
    }
    return ret;
  }

  alloc(size: number): NativeMemory {
    const mem = this.inner.alloc(size);
    this.memory.set(mem.address, mem.bytes);
    return mem;
  }

  free(mem: NativeMemory): void {
    this.memory.delete(mem.address);
    this.inner.free(mem);
  }

  reset(): void {
    this.loadMs = 0;
    this.loads = 0;
  }
}

function cstring(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function readObject(file: string): CollectionSpec {
  const bytes = readFileSync(join(repoRoot, 'testdata', 'obj', file));
  return loadCollectionSpec(new Uint8Array(file.endsWith('.gz') ? gunzipSync(bytes) : bytes));
}

/**
 * The programs of ELF objects. The kernel loads each object's programs in
 * one collection, or, when it rejects one, one at a time so that the
 * rejection does not hide the others.
 */
function objectGroup(name: string, files: readonly string[], describe: (t: number) => boolean): Group {
  const jobs: Job[] = [];
  const objects: { spec: CollectionSpec; programs: string[] }[] = [];
  for (const spec of files.map(readObject)) {
    const programs = spec.programs.filter((p) => describe(p.type));
    // As the loader hands each program over: CO-RE, kconfig, every map, BTF func_info for global functions.
    for (const p of programs) jobs.push(verifierInput(spec, p.name, { logLevel: 0 }));
    objects.push({ spec, programs: programs.map((p) => p.name) });
  }
  /** Load `programs` of `spec`; only their own loads are timed (a PROG_ARRAY brings the programs it names along). */
  const load = (kernel: Kernel, sys: TimedSyscalls, spec: CollectionSpec, programs: string[]): boolean => {
    sys.only = new Set(programs.map(objectName));
    try {
      KernelCollection.load(spec, { kernel, programs }).dispose();
      return true;
    } catch {
      return false;
    } finally {
      sys.only = undefined;
    }
  };
  return {
    name,
    jobs,
    loadInKernel(kernel, sys) {
      for (const { spec, programs } of objects) {
        const before = { ms: sys.loadMs, loads: sys.loads };
        if (load(kernel, sys, spec, programs)) continue;
        sys.loadMs = before.ms;
        sys.loads = before.loads;
        // A rejection's PROG_LOAD is timed all the same.
        for (const program of programs) load(kernel, sys, spec, [program]);
      }
    },
  };
}

/** The differential fuzzer's programs (test/verifier/fuzz-gen.ts), a fixed sample near the accept/reject boundary. */
function fuzzGroup(count: number, seed: number): Group {
  const cases = fc.sample(fuzzCaseArb(), { numRuns: count, seed });
  const programs = cases.map((c) => ({ c, insns: fuzzInsns(c) }));
  return {
    name: `fuzz corpus (${count} programs, seed ${seed})`,
    jobs: programs.map(({ c, insns }) => ({ insns, options: { progType: c.prog, maps: c.maps, license: 'GPL', logLevel: 0 } })),
    loadInKernel(kernel) {
      using pool = new MapPool(kernel);
      for (const { c, insns } of programs) verifyOnKernel(kernel, insns, { type: c.prog, license: 'GPL', logLevel: 0, fdArray: pool.fds(c.maps) });
    },
  };
}

function corpusGroup(): Group {
  const cases = corpusFiles().map(parseCase).filter((c) => !c.slow);
  return {
    name: `corpus (${cases.length} small programs)`,
    jobs: cases.map((c) => ({ insns: c.insns, options: { progType: c.prog, maps: c.maps, license: c.license, logLevel: 0 } })),
    loadInKernel(kernel) {
      for (const c of cases) kernelVerdict(kernel, c, 0);
    },
  };
}

/** Program types our verifier describes (it refuses the others before verifying). */
function described(type: number): boolean {
  try {
    programType(type);
    return true;
  } catch {
    return false;
  }
}


interface Measured {
  ms: number;
  coldMs: number;
  processed: number;
  accepted: number;
  /** The kernel's time and loads, when bpf(2) is there. */
  kernel?: { ms: number; loads: number };
}

/**
 * V8 compiles the verifier's hot functions only after they ran a while, so
 * our side verifies the group for WARMUP_MS (WARMUP times at least) first,
 * the first (cold) run kept in the details. Then each timed run of ours is
 * followed by one of the kernel's, so that both meet the same machine load,
 * RUNS times at least and until ours took TIMED_MS (MAX_RUNS at most);
 * medians count.
 */
function measure(group: Group, kernel: { kernel: Kernel; sys: TimedSyscalls } | undefined): Measured {
  let processed = 0;
  let accepted = 0;
  const once = (): number => {
    processed = 0;
    accepted = 0;
    const t = performance.now();
    for (const j of group.jobs) {
      const r = verify(j.insns, j.options);
      processed += r.processedInsns;
      if (r.accepted) accepted++;
    }
    return performance.now() - t;
  };
  let coldMs = 0;
  let warm = 0;
  for (let run = 0; run < WARMUP || warm < WARMUP_MS; run++) {
    const ms = once();
    if (run === 0) coldMs = ms;
    warm += ms;
  }
  const times: number[] = [];
  const kernelTimes: number[] = [];
  let loads = 0;
  let timed = 0;
  while (times.length < RUNS || (timed < TIMED_MS && times.length < MAX_RUNS)) {
    const ms = once();
    times.push(ms);
    timed += ms;
    if (kernel) {
      kernel.sys.reset();
      group.loadInKernel(kernel.kernel, kernel.sys);
      kernelTimes.push(kernel.sys.loadMs);
      loads = kernel.sys.loads;
    }
  }
  return { ms: median(times), coldMs, processed, accepted, ...(kernel ? { kernel: { ms: median(kernelTimes), loads } } : {}) };
}

function openTimedKernel(): { kernel: Kernel; sys: TimedSyscalls } | string {
  try {
    const sys = new TimedSyscalls(libcSyscalls());
    return { kernel: openKernel({ sys }), sys };
  } catch (err) {
    return (err as Error).message;
  }
}

export const verifierSuite: Suite = {
  name: 'verifier',
  title: 'Verifier (src/verifier): milliseconds to verify a group of programs against the kernel\'s BPF_PROG_LOAD, same run',
  run(): BenchRow[] {
    const groups = [
      objectGroup('large.o (largest testdata object)', ['large.o.gz'], described),
      objectGroup('behaviour.o', ['behaviour.o'], described),
      // Not core.o: its CO-RE relocates against vmlinux in the kernel and against a test target here, so the programs differ.
      objectGroup('other testdata objects', ['programs.o', 'subprogs.o', 'maps.o', 'globals.o', 'kconfig.o', 'legacy.o'], described),
      corpusGroup(),
      fuzzGroup(1000, 1),
    ];
    const opened = openTimedKernel();
    const rows: BenchRow[] = [];
    for (const g of groups) {
      const m = measure(g, typeof opened === 'string' ? undefined : opened);
      const details: Record<string, string | number> = {
        programs: g.jobs.length,
        accepted: m.accepted,
        processedInsns: m.processed,
        usPerProcessedInsn: Number((m.ms * 1000 / Math.max(m.processed, 1)).toFixed(3)),
        coldMs: Number(m.coldMs.toFixed(1)),
      };
      const name = `${g.name}: ${g.jobs.length} programs, ${m.processed} insns processed`;
      if (!m.kernel) {
        // No bpf(2): our figure stands alone (the ratio printed is against 1 ms).
        rows.push({ name, value: m.ms, unit: 'ms', better: 'lower', details, anchor: { name: 'kernel (unavailable)', value: 1, source: `BPF_PROG_LOAD could not be measured: ${String(opened)}` } });
        continue;
      }
      details.kernelLoads = m.kernel.loads;
      rows.push({
        name, value: m.ms, unit: 'ms', better: 'lower', details,
        anchor: { name: 'kernel', value: m.kernel.ms, source: 'time inside bpf(BPF_PROG_LOAD) for the same programs, each run right after one of ours (medians)' },
      });
    }
    return rows;
  },
};
