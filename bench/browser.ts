/**
 * The JIT in a browser (issue 6: "the kernel JIT's speed, in Node and in
 * browsers"): Debian's Chromium, headless, on a page that imports dist/
 * (test/browser/chromium.ts, browser-page.ts). Both groups of jit.ts —
 * the compute-bound programs and bench.o's helper- and map-heavy ones —
 * in ns per run on the JIT in Chromium against the kernel's JIT
 * (BPF_PROG_TEST_RUN, measured by jit.ts's code in this run) and against
 * the JIT in Node.js, with the geometric means; and the compile throughput on large.o's programs in
 * Chromium, in CPU time of the renderer process (every thread: V8's
 * compiler and GC threads too), against the 1 M insns/s budget. Without
 * Chromium the suite says why and gives no rows.
 */
import { BrowserPage, chromiumStatus } from '../test/browser/chromium.js';
import type { LoadMode } from './compile-work.js';
import { benchObjectBytes } from './bench-object.js';
import { JIT_PROGRAMS, OBJECT_PROGRAMS, benchInput } from './jit-programs.js';
import { geomean, measureGroups, type Measured } from './jit.js';
import { median, type Anchor, type BenchRow, type Suite } from './suite.js';

/** The compile passes of one figure: renderer CPU seconds of `passes` passes (less their programs' second runs for 'first run'). */
async function compileFigure(page: BrowserPage, mode: LoadMode, verified: boolean, combined = false): Promise<number> {
  // Each sample is several passes: the renderer's CPU time is read in clock ticks (10 ms), a pass takes 20 to 60.
  const passes = 8;
  const sample = async (): Promise<number> => {
    const c0 = await page.rendererCpuSeconds();
    const insns = await page.call<number>('compilePasses', mode, verified, passes, combined);
    const c1 = await page.rendererCpuSeconds();
    let secs = c1 - c0;
    if (mode === 'first run') {
      await page.call('rerun');
      secs -= (await page.rendererCpuSeconds()) - c1;
    }
    return insns / secs / 1e6;
  };
  // Warm up as jit.ts does: V8 optimises our compiler over the first tens of passes.
  for (let k = 0; k < 4; k++) await sample();
  const figures: number[] = [];
  for (let k = 0; k < 5; k++) figures.push(await sample());
  await page.call('release');
  return median(figures);
}

export const browserSuite: Suite = {
  name: 'browser',
  title: 'JIT in Chromium: ns per run against the kernel\'s JIT and the JIT in Node.js; compile throughput (renderer CPU time)',
  async run(): Promise<BenchRow[]> {
    const chromium = chromiumStatus();
    if (chromium.path === undefined) {
      console.log(`\nbrowser: no figures: ${chromium.reason}`);
      return [];
    }
    const { reason, compute, objects } = measureGroups();
    const page = await BrowserPage.open(chromium.path, '/dist/bench/browser-page.js');
    try {
      const browser = `Chromium ${page.version()}`;
      const input = Array.from(benchInput());
      const rows: BenchRow[] = [];
      /** One group's rows: each program in Chromium against the kernel's JIT (or Node's, unreachable), the geometric means. */
      const group = async (label: string, node: readonly Measured[], target: number, inPage: (k: number) => Promise<{ r0: string; ns: number }>) => {
        const ratios: { kernel?: number; node: number }[] = [];
        console.log(`\n${label} programs on the JIT in ${browser} (ns per run)`);
        for (const [k, m] of node.entries()) {
          const b = await inPage(k);
          if (b.r0 !== m.details.r0) throw new Error(`${m.name}: the JIT in Chromium returns ${b.r0}, in Node ${m.details.r0}`);
          const anchor: Anchor = m.kernel !== undefined
            ? { name: 'kernel JIT', value: m.kernel, source: m.kernelSource! }
            : { name: 'JIT in Node.js', value: m.jit, source: `the kernel is unreachable (${reason}): anchored on the JIT in Node.js, this run` };
          rows.push({ name: `${m.name}: jit in Chromium`, value: b.ns, unit: 'ns/run', better: 'lower', anchor, details: { group: label, node: m.jit, browser } });
          ratios.push({ ...(m.kernel !== undefined ? { kernel: b.ns / m.kernel } : {}), node: b.ns / m.jit });
          console.log(`  ${m.name.padEnd(24)} chromium ${b.ns.toFixed(1).padStart(9)}  node ${m.jit.toFixed(1).padStart(9)}  kernel ${m.kernel === undefined ? '-' : m.kernel.toFixed(1)}`);
        }
        if (ratios.every((r) => r.kernel !== undefined)) {
          rows.push({
            name: `${label}: geomean jit time in Chromium, % of the kernel JIT's`, value: 100 * geomean(ratios.map((r) => r.kernel!)), unit: '%', better: 'lower',
            anchor: { name: `issue 6 target (${label})`, value: target, source: `issue 6: geometric mean of jit/kernel at most ${target / 100} over the ${label} benchmarks, in Node and in browsers` },
          });
        }
        rows.push({
          name: `${label}: geomean jit time in Chromium, × the JIT's in Node.js`, value: geomean(ratios.map((r) => r.node)), unit: '×', better: 'lower',
          anchor: { name: 'parity', value: 1, source: 'the JIT as fast in the browser as in Node.js' },
        });
      };
      await group('compute-bound', compute, 100, (k) => page.call('jitNsPerRun', JIT_PROGRAMS[k].source, input));
      const object = Array.from(benchObjectBytes());
      await group('helper/map-heavy', objects, 200, async (k) => {
        const b = await page.call<{ retval: number; ns: number }>('objectNsPerRun', object, OBJECT_PROGRAMS[k].name, input);
        return { r0: String(b.retval), ns: b.ns };
      });

      const work = await page.call<{ programs: number; insns: number }>('openCompileWork', '/testdata/obj/large.o.gz');
      const budget: Anchor = { name: 'issue 6 budget', value: 1, source: 'issue 6: at least 1 million eBPF instructions per second of compile throughput' };
      const configs: [name: string, mode: LoadMode, verified: boolean, combined?: boolean][] = [
        [`compile in Chromium: ${work.programs} programs of large.o, verified, loaded one by one, then each made ready to run`, 'one by one', true],
        ['compile in Chromium: the same, verified, one module (Jit.loadAll)', 'all', true],
        ['compile in Chromium: the same, verified, a module each', 'alone', true],
        ['compile in Chromium: the same, verified, each run once right after its load (machine code for what the run calls)', 'first run', true],
        ['compile in Chromium: the same, unverified, each run once right after its load', 'first run', false],
        [`compile in Chromium: one ${work.insns}-insn program (V8 compiles lazily)`, 'alone', false, true],
      ];
      for (const [name, mode, verified, combined] of configs) {
        const value = await compileFigure(page, mode, verified, combined);
        rows.push({ name, value, unit: 'M insns/s', better: 'higher', anchor: budget, details: { browser } });
      }
      if (page.errors.length > 0) throw new Error(`the page threw: ${page.errors.join('; ')}`);
      return rows;
    } finally {
      await page.close();
    }
  },
};
