/**
 * The long differential run: `node dist/test/jit/diff-run.js [runs] [seed]`
 * (default 100,000 runs, a random seed, printed so a failure can be
 * replayed). Prints the count checked, or the smallest disagreement found.
 */
import { runDifferential } from './diff.js';

const runs = Number(process.argv[2] ?? 100_000);
const seed = process.argv[3] !== undefined ? Number(process.argv[3]) : Date.now() % 0x7fffffff;
const started = performance.now();
runDifferential(runs, seed);
console.log(`interp and jit agree on ${runs} random programs (seed ${seed}, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
