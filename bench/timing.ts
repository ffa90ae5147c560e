/**
 * How the benchmarks time a run, in Node.js (jit.ts, CPU time) and in a
 * browser page (browser-page.ts, wall time: a page has no CPU clock).
 */

export interface Timing {
  /** Seconds of warm-up first (the JIT's code tiers up to V8's optimising compiler as it runs). */
  warm?: number;
  /** Seconds of each of the three timed batches. */
  batch?: number;
  /** At most this many runs between two calls of `reset`. */
  maxRuns?: number;
  /** Called, untimed, before each group of runs (draining a ring buffer). */
  reset?: () => void;
}

/**
 * Nanoseconds per run, `runs(n)` doing n runs and `clock` reading seconds:
 * warm up, then the median of three batches of at least `batch` seconds each.
 */
export function nsPerRun(runs: (n: number) => void, clock: () => number, { warm = 0.3, batch = 0.2, maxRuns = Infinity, reset }: Timing = {}): number {
  const timed = (n: number) => {
    reset?.();
    const t0 = clock();
    runs(n);
    return clock() - t0;
  };
  let n = 1;
  for (let spent = 0; spent < warm;) {
    spent += timed(n);
    n = Math.min(2 * n, maxRuns);
  }
  n = 1;
  while (n < maxRuns && timed(n) < batch / 4) n = Math.min(2 * n, maxRuns);
  const samples = Array.from({ length: 3 }, () => {
    let runs = 0, secs = 0;
    while (secs < batch) {
      secs += timed(n);
      runs += n;
    }
    return (secs / runs) * 1e9;
  }).sort((a, b) => a - b);
  return samples[1];
}
