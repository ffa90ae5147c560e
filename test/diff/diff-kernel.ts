/**
 * The differential harness: random programs the kernel accepts, run on our
 * interpreter and in the kernel with the same random input; every result
 * must agree. The kernel is the oracle.
 *
 *   npm run diff:kernel -- --count 10000 [--seed 42]
 *
 * Prints `N programs, A agreed, D disagreed (R rejected by the kernel)`; a
 * disagreement is shrunk by fast-check and printed as assembly with both
 * results, and the exit status is then 1.
 */
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { disassemble } from '../../src/asm/index.js';
import { toHex, u64Hex } from '../../src/internal/bytes.js';
import type { Insn } from '../../src/isa/index.js';
import { KernelRunner, kernelStatus, Kernel, type KernelRunOutcome } from '../../src/kernel/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { Vm } from '../../src/vm/index.js';
import { compile, MEM_SIZE, programArb, type GenProgram } from './gen.js';

export interface DiffOptions {
  count: number;
  seed?: number;
  /** Largest number of items in main (default 40). */
  maxItems?: number;
}

export interface EngineResult {
  r0?: bigint;
  mem?: Uint8Array;
  error?: string;
}

export interface Disagreement {
  insns: Insn[];
  input: Uint8Array;
  interp: EngineResult;
  kernel: EngineResult;
}

export interface DiffReport {
  seed: number;
  programs: number;
  agreed: number;
  disagreed: number;
  /** Programs the kernel refused, by reason (the generator aims to make this ~0). */
  rejected: number;
  rejections: Map<string, number>;
  /** The first disagreement, shrunk. */
  shrunk?: Disagreement;
}

type Verdict = { kind: 'agree' } | { kind: 'rejected'; reason: string } | { kind: 'disagree'; d: Disagreement };

/** An engine under test: runs `insns` with r1 = the input memory, r2 = its length. */
export type Engine = (insns: Insn[], input: Uint8Array) => EngineResult;

/** Our interpreter, on one address space reused for every run. */
export function interpreterEngine(): Engine {
  const space = new AddressSpace();
  const vm = new Vm(space);
  const mem = space.alloc('input', MEM_SIZE, 'data');
  return (insns, input) => {
    space.write(mem.start, input);
    try {
      const { r0 } = vm.load(insns).run({ r1: BigInt(mem.start), r2: BigInt(input.length) });
      return { r0, mem: space.read(mem.start, input.length).slice() };
    } catch (err) {
      return { error: (err as Error).message };
    }
  };
}

function compare(runner: KernelRunner, engine: Engine, p: GenProgram, input: Uint8Array): Verdict {
  const insns = compile(p);
  const k: KernelRunOutcome = runner.run(insns, input);
  if (!k.ok) return { kind: 'rejected', reason: k.reason };
  const kernel: EngineResult = { r0: k.r0, mem: k.dataOut };
  const interp = engine(insns, input);
  const same = interp.error === undefined && interp.r0 === kernel.r0 && toHex(interp.mem!) === toHex(kernel.mem!);
  return same ? { kind: 'agree' } : { kind: 'disagree', d: { insns, input, interp, kernel } };
}

/** Run the harness on `kernel`. */
export function runDiff(kernel: Kernel, options: DiffOptions, engine: Engine = interpreterEngine()): DiffReport {
  const seed = options.seed ?? Date.now() % 0x7fffffff;
  const arb = fc.tuple(programArb(options.maxItems), fc.uint8Array({ minLength: MEM_SIZE, maxLength: MEM_SIZE }));
  using runner = new KernelRunner(kernel);
  const report: DiffReport = { seed, programs: 0, agreed: 0, disagreed: 0, rejected: 0, rejections: new Map() };
  // Pass 1: every program, counted.
  fc.check(fc.property(arb, ([p, input]) => {
    const v = compare(runner, engine, p, input);
    report.programs++;
    if (v.kind === 'agree') report.agreed++;
    else if (v.kind === 'disagree') report.disagreed++;
    else {
      report.rejected++;
      const reason = v.reason.replace(/\d+/g, 'N');
      report.rejections.set(reason, (report.rejections.get(reason) ?? 0) + 1);
    }
    return true;
  }), { numRuns: options.count, seed });
  // Pass 2: the same sequence again, failing on the first disagreement so that fast-check shrinks it.
  if (report.disagreed > 0) {
    let last: Disagreement | undefined;
    const details = fc.check(fc.property(arb, ([p, input]) => {
      const v = compare(runner, engine, p, input);
      if (v.kind !== 'disagree') return true;
      last = v.d;
      return false;
    }), { numRuns: options.count, seed });
    if (details.failed && details.counterexample) {
      const [p, input] = details.counterexample[0];
      const v = compare(runner, engine, p, input);
      report.shrunk = v.kind === 'disagree' ? v.d : last;
    }
  }
  return report;
}

function describe(r: EngineResult): string {
  if (r.error !== undefined) return `error: ${r.error}`;
  return `r0 = ${u64Hex(r.r0!)}, memory = ${toHex(r.mem!)}`;
}

/** The report as printed: the counts, the rejections, and a disagreement's reproducer. */
export function formatReport(report: DiffReport): string {
  const lines = [`${report.programs} programs, ${report.agreed} agreed, ${report.disagreed} disagreed (${report.rejected} rejected by the kernel) [seed ${report.seed}]`];
  for (const [reason, n] of [...report.rejections].sort((a, b) => b[1] - a[1])) lines.push(`  rejected ${n}x: ${reason}`);
  if (report.shrunk) {
    const d = report.shrunk;
    lines.push('', 'Shrunk reproducer (r1 = input memory, r2 = its length):');
    lines.push(disassemble(d.insns, { indexes: true }).split('\n').map((l) => `  ${l}`).join('\n'));
    lines.push(`input:       ${toHex(d.input)}`);
    lines.push(`interpreter: ${describe(d.interp)}`);
    lines.push(`kernel:      ${describe(d.kernel)}`);
  }
  return lines.join('\n');
}

function parseArgs(argv: readonly string[]): DiffOptions {
  const options: DiffOptions = { count: 1000 };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    const num = () => {
      if (value === undefined || !/^\d+$/.test(value)) throw new Error(`${argv[i]} needs a non-negative integer`);
      i++;
      return Number(value);
    };
    if (argv[i] === '--count') options.count = num();
    else if (argv[i] === '--seed') options.seed = num();
    else if (argv[i] === '--max-items') options.maxItems = num();
    else throw new Error(`unknown argument ${argv[i]} (usage: diff-kernel --count N [--seed S] [--max-items M])`);
  }
  return options;
}

function main(): number {
  let options: DiffOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const status = kernelStatus();
  if (!status.available) {
    console.error(`diff:kernel needs the kernel: ${status.reason}`);
    return 2;
  }
  const report = runDiff(Kernel.open(), options);
  console.log(formatReport(report));
  return report.disagreed > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
