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
import { libcSyscalls, openKernel, type Kernel, type NativeMemory, type SyscallName, type Syscalls } from '../src/kernel/index.js';
import { KernelCollection } from '../src/runtime/index.js';
import { verify, type MapDescriptor, type VerifyOptions } from '../src/verifier/index.js';
import type { Insn } from '../src/isa/index.js';
import { programType } from '../src/platform/program-types.js';
import { corpusFiles, kernelVerdict, parseCase } from '../test/verifier/corpus.js';
import type { BenchRow, Suite } from './suite.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BPF_PROG_LOAD = 5;
/** offsetof(union bpf_attr, log_level) for BPF_PROG_LOAD. */
const PROG_LOAD_LOG_LEVEL = 24;
/** Timed repetitions of each group (the median counts), on both sides. */
const RUNS = 3;
/** Untimed runs of each group on our side first (see `ours`). */
const WARMUP = 6;

interface Job {
  insns: readonly Insn[];
  options: VerifyOptions;
}

interface Group {
  name: string;
  jobs: Job[];
  /** Loads every program of the group into the kernel once. */
  loadInKernel(kernel: Kernel): void;
}

/** bpf(2) through libc, with the time spent in PROG_LOAD calls without a log added up. */
class TimedSyscalls implements Syscalls {
  loadMs = 0;
  loads = 0;
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
    if (attr && new DataView(attr.buffer, attr.byteOffset, attr.byteLength).getUint32(PROG_LOAD_LOG_LEVEL, true) === 0) {
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

function readObject(file: string): CollectionSpec {
  const bytes = readFileSync(join(repoRoot, 'testdata', 'obj', file));
  return loadCollectionSpec(new Uint8Array(file.endsWith('.gz') ? gunzipSync(bytes) : bytes));
}

/** The programs of ELF objects; the kernel loads each object's programs one at a time, so that one rejection does not hide the others. */
function objectGroup(name: string, files: readonly string[], describe: (t: number) => boolean): Group {
  const specs = files.map(readObject);
  const jobs: Job[] = [];
  const loadable: { spec: CollectionSpec; program: string }[] = [];
  for (const spec of specs) {
    const maps: MapDescriptor[] = spec.maps.map((m) => ({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name }));
    for (const p of spec.programs) {
      if (!describe(p.type)) continue;
      jobs.push({ insns: p.insns, options: { progType: p.type, maps, license: p.license, logLevel: 1 } });
      loadable.push({ spec, program: p.name });
    }
  }
  return {
    name,
    jobs,
    loadInKernel(kernel) {
      for (const { spec, program } of loadable) {
        try {
          KernelCollection.load(spec, { kernel, programs: [program] }).dispose();
        } catch {
          // A rejection: its (first) PROG_LOAD was timed all the same.
        }
      }
    },
  };
}

function corpusGroup(): Group {
  const cases = corpusFiles().map(parseCase).filter((c) => !c.slow);
  return {
    name: `corpus (${cases.length} small programs)`,
    jobs: cases.map((c) => ({ insns: c.insns, options: { progType: c.prog, maps: c.maps, license: c.license, logLevel: 1 } })),
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Our time: V8 compiles the verifier's hot functions only after they ran a
 * while, so the group is verified WARMUP times first (the first of them, cold,
 * is kept in the details), then RUNS times; the median counts.
 */
function ours(group: Group): { ms: number; coldMs: number; processed: number; accepted: number } {
  let processed = 0;
  let accepted = 0;
  let coldMs = 0;
  const times: number[] = [];
  for (let run = 0; run < WARMUP + RUNS; run++) {
    processed = 0;
    accepted = 0;
    const t = performance.now();
    for (const j of group.jobs) {
      const r = verify(j.insns, j.options);
      processed += r.processedInsns;
      if (r.accepted) accepted++;
    }
    const ms = performance.now() - t;
    if (run === 0) coldMs = ms;
    if (run >= WARMUP) times.push(ms);
  }
  return { ms: median(times), coldMs, processed, accepted };
}

function theirs(group: Group, kernel: Kernel, sys: TimedSyscalls): { ms: number; loads: number } {
  const times: number[] = [];
  let loads = 0;
  for (let run = 0; run < RUNS; run++) {
    sys.reset();
    group.loadInKernel(kernel);
    times.push(sys.loadMs);
    loads = sys.loads;
  }
  return { ms: median(times), loads };
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
      objectGroup('other testdata objects', ['programs.o', 'subprogs.o', 'maps.o', 'globals.o', 'kconfig.o', 'legacy.o', 'core.o'], described),
      corpusGroup(),
    ];
    const opened = openTimedKernel();
    const rows: BenchRow[] = [];
    for (const g of groups) {
      const o = ours(g);
      const details: Record<string, string | number> = {
        programs: g.jobs.length,
        accepted: o.accepted,
        processedInsns: o.processed,
        usPerProcessedInsn: Number((o.ms * 1000 / Math.max(o.processed, 1)).toFixed(3)),
        coldMs: Number(o.coldMs.toFixed(1)),
      };
      const name = `${g.name}: ${g.jobs.length} programs, ${o.processed} insns processed`;
      if (typeof opened === 'string') {
        // No bpf(2): our figure stands alone (the ratio printed is against 1 ms).
        rows.push({ name, value: o.ms, unit: 'ms', better: 'lower', details, anchor: { name: 'kernel (unavailable)', value: 1, source: `BPF_PROG_LOAD could not be measured: ${opened}` } });
        continue;
      }
      const k = theirs(g, opened.kernel, opened.sys);
      details.kernelLoads = k.loads;
      rows.push({
        name, value: o.ms, unit: 'ms', better: 'lower', details,
        anchor: { name: 'kernel', value: k.ms, source: `time inside bpf(BPF_PROG_LOAD) for the same programs, measured in this run (median of ${RUNS})` },
      });
    }
    return rows;
  },
};
