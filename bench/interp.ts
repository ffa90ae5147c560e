/**
 * The interpreter benchmark: each loop of loops.ts in checked and unchecked
 * mode, in millions of eBPF instructions per second, next to the anchor.
 */
import { assemble } from '../src/asm/index.js';
import { AddressSpace } from '../src/memory/index.js';
import { Vm } from '../src/vm/index.js';
import { LOOPS } from './loops.js';
import type { Anchor, Suite, SuiteResult } from './suite.js';

/**
 * uBPF's C interpreter on an ALU loop, as the project's performance target
 * states it (about 100 M instructions/s on one x86-64 core). uBPF is not
 * installed here, so the figure is quoted, not measured in this run.
 */
export const UBPF_INTERPRETER: Anchor = {
  name: 'uBPF C interpreter, ALU loop',
  mips: 100,
  source: 'quoted: the project brief\'s target (uBPF interpreter ~100 M insns/s); not measured in this run',
};

const RUNS = 5;

function measure(run: () => { insns: number }): { mips: number; insns: number; seconds: number } {
  run();
  const samples: { insns: number; seconds: number }[] = [];
  for (let k = 0; k < RUNS; k++) {
    const t0 = performance.now();
    const { insns } = run();
    samples.push({ insns, seconds: (performance.now() - t0) / 1000 });
  }
  samples.sort((a, b) => a.seconds - b.seconds);
  const median = samples[Math.floor(RUNS / 2)];
  return { ...median, mips: median.insns / median.seconds / 1e6 };
}

export const interpSuite: Suite = {
  name: 'interp',
  title: 'Interpreter (src/vm), median of 5 runs after a warm-up',
  run(): SuiteResult {
    const rows = [];
    for (const loop of LOOPS) {
      const insns = assemble(loop.source.replace(/\bN\b/g, String(loop.iterations)), { file: `${loop.name} loop` });
      for (const checked of [true, false]) {
        const space = new AddressSpace();
        const vm = new Vm(space, { checked });
        const input = loop.input > 0 ? space.alloc('input', loop.input, 'data') : undefined;
        const program = vm.load(insns);
        const args = { r1: BigInt(input?.start ?? 0), r2: BigInt(input?.size ?? 0) };
        const m = measure(() => program.run(args));
        rows.push({
          name: `${loop.name} (${checked ? 'checked' : 'unchecked'})`,
          what: loop.what,
          mips: m.mips,
          insns: m.insns,
          seconds: m.seconds,
          anchor: UBPF_INTERPRETER,
        });
      }
    }
    return { rows };
  },
};
