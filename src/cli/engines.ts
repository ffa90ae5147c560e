/**
 * The engines the command line can run a raw program on, behind one shape:
 * the conformance contract (r1 = input memory, r2 = its length, result r0).
 */
import { EbpfError } from '../internal/errors.js';
import type { Insn } from '../isa/index.js';
import { AddressSpace } from '../memory/index.js';
import { Vm } from '../vm/index.js';
import { Jit } from '../jit/index.js';
import { KernelRunner, openKernel } from '../kernel/index.js';
import type { ConformanceEngine } from './conformance.js';

export const ENGINE_NAMES = ['interp', 'jit', 'kernel'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export interface RawRunOptions {
  mem?: Uint8Array;
  /** Runs on the same memory, as BPF_PROG_TEST_RUN's repeat does. */
  repeat?: number;
  trace?: (line: string) => void;
  checked?: boolean;
}

export interface RawRunResult {
  retval: bigint;
  dataOut: Uint8Array;
  /** Mean wall time of one run, in nanoseconds. */
  durationNs: number;
}

/** A failure the kernel reported for a program it cannot run (verifier rejection, inexpressible program). */
export class EngineError extends EbpfError {
  constructor(message: string) {
    super('EENGINE', message);
  }
}

/** Run on one of our engines (the interpreter or the JIT): both load slots and run them with r1–r5. */
function runLocal(engine: 'interp' | 'jit', insns: Insn[], options: RawRunOptions): RawRunResult {
  if (engine === 'jit' && options.trace) throw new EngineError('--trace needs the interpreter (--engine interp)');
  const space = new AddressSpace();
  const program = engine === 'jit'
    ? new Jit(space).load(insns)
    : new Vm(space, { checked: options.checked ?? true, trace: options.trace }).load(insns);
  const mem = options.mem ?? new Uint8Array();
  const region = mem.length ? space.alloc('mem', mem.length, 'data') : undefined;
  if (region) space.write(region.start, mem);
  const args = { r1: BigInt(region?.start ?? 0), r2: BigInt(mem.length) };
  const repeat = options.repeat ?? 1;
  let r0 = 0n;
  const start = process.hrtime.bigint();
  for (let i = 0; i < repeat; i++) r0 = program.run(args).r0;
  const elapsed = Number(process.hrtime.bigint() - start);
  return { retval: r0, dataOut: region ? space.read(region.start, mem.length) : new Uint8Array(), durationNs: Math.round(elapsed / repeat) };
}

function runKernel(insns: Insn[], options: RawRunOptions): RawRunResult {
  if (options.trace) throw new EngineError('--trace needs the interpreter (--engine interp)');
  using runner = new KernelRunner(openKernel());
  const out = runner.run(insns, options.mem, { repeat: options.repeat ?? 1 });
  if (!out.ok) throw new EngineError(`the kernel cannot run this program: ${out.reason}`);
  return { retval: out.r0, dataOut: out.dataOut, durationNs: out.durationNs };
}

export function runRaw(engine: EngineName, insns: Insn[], options: RawRunOptions = {}): RawRunResult {
  return engine === 'kernel' ? runKernel(insns, options) : runLocal(engine, insns, options);
}

/** An engine for the conformance runner. Runtime faults become the test's error outcome. */
export function conformanceEngine(engine: EngineName): ConformanceEngine {
  if (engine === 'kernel') {
    const runner = new KernelRunner(openKernel());
    return (insns, mem) => {
      const out = runner.run(insns, mem);
      return out.ok ? { kind: 'ok', r0: out.r0 } : { kind: 'unsupported', reason: out.reason };
    };
  }
  return (insns, mem) => {
    try {
      return { kind: 'ok', r0: runLocal(engine, insns, { mem }).retval };
    } catch (err) {
      if (err instanceof EbpfError) return { kind: 'error', message: err.message };
      throw err;
    }
  };
}
