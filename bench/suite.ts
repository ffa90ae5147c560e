/**
 * What a benchmark file gives the driver (run.ts): named rows, each a
 * figure next to its anchor. The ratio is always figure / anchor; `better`
 * says which way is good (a speed wants more, a time budget less).
 */

export interface Anchor {
  name: string;
  value: number;
  /** Where the figure comes from: measured in this run, or quoted (and from where). */
  source: string;
}

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  better: 'higher' | 'lower';
  anchor: Anchor;
  /** Anything else worth keeping in the JSON (instruction counts, CPU and wall seconds). */
  details?: Record<string, string | number>;
}

export interface Suite {
  /** Also the name of its JSON file in bench/results/. */
  name: string;
  title: string;
  run(): BenchRow[] | Promise<BenchRow[]>;
}

/** The middle value (the upper one of an even count): robust against a noisy machine's outliers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
