/**
 * The JIT benchmark: each program of jit-programs.ts on the interpreter,
 * the JIT and the kernel's own JIT (BPF_PROG_TEST_RUN through KernelRunner:
 * the same instructions and input, its measured mean duration), in
 * nanoseconds per run; the ratios jit/kernel and interp/jit and their
 * geometric means; and the JIT's compile throughput on the 56 programs of
 * testdata/obj/large.o.gz against issue 6's budget of 1 M instructions/s.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { gunzipSync } from 'node:zlib';
import { assemble } from '../src/asm/index.js';
import { loadCollectionSpec } from '../src/elf/index.js';
import { BPF_ALU64, BPF_CALL, BPF_EXIT, BPF_JMP, BPF_K, BPF_MOV, BPF_PSEUDO_CALL, type Insn } from '../src/isa/index.js';
import { Jit, JitCache } from '../src/jit/index.js';
import { KernelRunner, kernelStatus, openKernel } from '../src/kernel/index.js';
import { AddressSpace } from '../src/memory/index.js';
import { Vm } from '../src/vm/index.js';
import { INPUT_SIZE, JIT_PROGRAMS, benchInput } from './jit-programs.js';
import type { Anchor, BenchRow, Suite } from './suite.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** CPU seconds of `fn` (user + system): on a shared machine wall time mostly measures the neighbours. */
function cpuSeconds(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

/**
 * Nanoseconds per call of `fn`: warm it for `warm` seconds (the JIT's code
 * tiers up to V8's optimising compiler as it runs), then the median of
 * three batches of at least `batch` seconds each.
 */
function nsPerRun(fn: () => void, warm = 0.3, batch = 0.2): number {
  let n = 1;
  for (let spent = 0; spent < warm;) {
    spent += cpuSeconds(() => { for (let i = 0; i < n; i++) fn(); });
    n *= 2;
  }
  n = 1;
  while (cpuSeconds(() => { for (let i = 0; i < n; i++) fn(); }) < batch / 4) n *= 2;
  const samples = Array.from({ length: 3 }, () => {
    let runs = 0, secs = 0;
    while (secs < batch) {
      secs += cpuSeconds(() => { for (let i = 0; i < n; i++) fn(); });
      runs += n;
    }
    return (secs / runs) * 1e9;
  }).sort((a, b) => a - b);
  return samples[1];
}

const geomean = (xs: readonly number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

interface Engines {
  run(insns: Insn[]): { r0: bigint; ns: number };
}

/** Run `insns` on a fresh runtime of one engine with the bench input at r1, r2 = its length. */
function engine(make: (space: AddressSpace) => { load(insns: Insn[]): { run(args: { r1: bigint; r2: bigint }): { r0: bigint } } }): Engines {
  return {
    run(insns) {
      const space = new AddressSpace();
      const e = make(space);
      const input = space.alloc('input', INPUT_SIZE, 'data');
      space.write(input.start, benchInput());
      const args = { r1: BigInt(input.start), r2: BigInt(INPUT_SIZE) };
      const prog = e.load(insns);
      const r0 = prog.run(args).r0;
      return { r0, ns: nsPerRun(() => prog.run(args)) };
    },
  };
}

/**
 * Compile throughput (load: validate, emit wasm, compile the module,
 * instantiate) on the large object's 56 programs, each its own module,
 * and on one program made of all of them (main calls each as a
 * subprogram), where V8's fixed cost per module no longer dominates. Every
 * program is made unique (a leading `r0 = salt`) so that no cache, ours or
 * V8's, helps.
 */
function compileRows(): BenchRow[] {
  const large = new Uint8Array(gunzipSync(readFileSync(join(repoRoot, 'testdata', 'obj', 'large.o.gz'))));
  const programs = Object.values(loadCollectionSpec(large).programs).map((p) => p.insns);
  const space = new AddressSpace();
  let salt = 0;
  const mov0 = (): Insn => ({ code: BPF_ALU64 | BPF_MOV | BPF_K, dst: 0, src: 0, off: 0, imm: salt++ });
  const combined = (): Insn[] => {
    const head: Insn[] = [mov0()];
    let at = programs.length + 2;
    for (const p of programs) {
      head.push({ code: BPF_JMP | BPF_CALL, dst: 0, src: BPF_PSEUDO_CALL, off: 0, imm: at - head.length - 1 });
      at += p.length;
    }
    head.push({ code: BPF_JMP | BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 });
    return [...head, ...programs.flat()];
  };
  const throughput = (make: () => Insn[][], all = false) => {
    const pass = () => {
      const batch = make();
      const jit = new Jit(space, { cache: new JitCache() });
      const secs = cpuSeconds(() => { if (all) jit.loadAll(batch); else for (const insns of batch) jit.load(insns); });
      jit.dispose();
      return batch.reduce((n, p) => n + p.length, 0) / secs / 1e6;
    };
    pass();
    return [0, 1, 2, 3, 4].map(pass).sort((a, b) => a - b)[2];
  };
  const budget: Anchor = { name: 'issue 6 budget', value: 1, source: 'issue 6: at least 1 million eBPF instructions per second of compile throughput' };
  const each = throughput(() => programs.map((p) => [mov0(), ...p]));
  // As a collection loads them (Runtime.prepareAll): one module for all.
  const all = throughput(() => programs.map((p) => [mov0(), ...p]), true);
  const one = throughput(() => [combined()]);
  // V8 compiles wasm functions lazily, on first call; the eager figure includes machine code for every function.
  setFlagsFromString('--no-wasm-lazy-compilation');
  let eager: number;
  try {
    eager = throughput(() => [combined()]);
  } finally {
    setFlagsFromString('--wasm-lazy-compilation');
  }
  const total = programs.reduce((n, p) => n + p.length, 0);
  return [
    { name: `compile: ${programs.length} programs of large.o, a module each`, value: each, unit: 'M insns/s', better: 'higher', anchor: budget, details: { insns: total } },
    { name: `compile: the same ${programs.length} programs, one module (Jit.loadAll)`, value: all, unit: 'M insns/s', better: 'higher', anchor: budget },
    { name: `compile: one ${total}-insn program (V8 compiles lazily)`, value: one, unit: 'M insns/s', better: 'higher', anchor: budget },
    { name: 'compile: the same, machine code for every function', value: eager, unit: 'M insns/s', better: 'higher', anchor: budget },
  ];
}

export const jitSuite: Suite = {
  name: 'jit',
  title: 'JIT (src/jit): ns per run against the kernel\'s JIT (BPF_PROG_TEST_RUN), the interpreter against the JIT; compile throughput',
  run(): BenchRow[] {
    const status = kernelStatus();
    const runner = status.available ? new KernelRunner(openKernel()) : undefined;
    const interp = engine((space) => new Vm(space));
    const jit = engine((space) => new Jit(space));
    const rows: BenchRow[] = [];
    const jitOverKernel: number[] = [];
    const interpOverJit: number[] = [];
    try {
      for (const p of JIT_PROGRAMS) {
        const insns = assemble(p.source, { file: p.name });
        const i = interp.run(insns);
        const j = jit.run(insns);
        if (i.r0 !== j.r0) throw new Error(`${p.name}: the JIT returns ${j.r0}, the interpreter ${i.r0}`);
        let kernel: Anchor;
        const details: Record<string, string | number> = { what: p.what, r0: String(j.r0) };
        if (runner) {
          // About a quarter of a second of kernel time.
          const repeat = Math.max(10, Math.min(1_000_000, Math.round(0.25e9 / j.ns)));
          const k = runner.run(insns, benchInput(), { repeat });
          if (!k.ok) throw new Error(`${p.name}: the kernel cannot run it: ${k.reason}`);
          if (k.r0 !== j.r0) details.kernelR0 = `${k.r0} (the program reads stack it never wrote, which the kernel does not zero)`;
          kernel = { name: 'kernel JIT', value: k.durationNs, source: `BPF_PROG_TEST_RUN, same program and input, repeat ${repeat}, this run` };
          jitOverKernel.push(j.ns / k.durationNs);
        } else {
          kernel = { name: 'interpreter', value: i.ns, source: `the kernel is unreachable (${status.available ? '' : status.reason}): anchored on the interpreter` };
        }
        interpOverJit.push(i.ns / j.ns);
        rows.push({ name: `${p.name}: jit`, value: j.ns, unit: 'ns/run', better: 'lower', anchor: kernel, details });
        rows.push({ name: `${p.name}: interp`, value: i.ns, unit: 'ns/run', better: 'lower', anchor: { name: 'JIT', value: j.ns, source: 'this run' }, details });
      }
    } finally {
      runner?.close();
    }
    if (jitOverKernel.length) {
      rows.push({
        name: 'geomean jit time, % of the kernel JIT\'s', value: 100 * geomean(jitOverKernel), unit: '%', better: 'lower',
        anchor: { name: 'issue 6 target', value: 100, source: 'issue 6: geometric mean of jit/kernel at most 1.0 over the compute-bound benchmarks' },
      });
    }
    rows.push({
      name: 'geomean interp time, × the JIT\'s', value: geomean(interpOverJit), unit: '×', better: 'higher',
      anchor: { name: 'parity', value: 1, source: 'the JIT as fast as the interpreter' },
    });
    rows.push(...compileRows());
    return rows;
  },
};
