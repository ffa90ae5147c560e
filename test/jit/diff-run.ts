/**
 * The long differential run: `node dist/test/jit/diff-run.js [runs] [seed] [--verified]`
 * (default 100,000 runs, a random seed, printed so a failure can be
 * replayed). Prints the count checked, or the smallest disagreement found.
 * `--verified`: programs our verifier accepts, the JIT loading them as
 * verified (vdiff.ts); prints how many were accepted and how many have calls.
 */
import { runDifferential } from './diff.js';
import { formatVerifiedStats, runVerifiedDifferential } from './vdiff.js';

const args = process.argv.slice(2).filter((a) => a !== '--verified');
const verified = process.argv.includes('--verified');
const runs = Number(args[0] ?? 100_000);
const seed = args[1] !== undefined ? Number(args[1]) : Date.now() % 0x7fffffff;
const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
if (verified) {
  const stats = runVerifiedDifferential(runs, seed);
  console.log(`interp and jit (verified) agree: ${formatVerifiedStats(stats)} (seed ${seed}, ${seconds()} s)`);
} else {
  runDifferential(runs, seed);
  console.log(`interp and jit agree on ${runs} random programs (seed ${seed}, ${seconds()} s)`);
}
