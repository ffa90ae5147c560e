/** What a benchmark file gives the driver (run.ts): named rows, each with its figure and anchor. */

export interface Anchor {
  name: string;
  /** Millions of eBPF instructions per second. */
  mips: number;
  /** Where the figure comes from: measured in this run, or quoted (and from where). */
  source: string;
}

export interface BenchRow {
  name: string;
  what: string;
  mips: number;
  insns: number;
  /** CPU seconds of the measured run. */
  seconds: number;
  wallSeconds: number;
  anchor: Anchor;
}

export interface SuiteResult {
  rows: BenchRow[];
}

export interface Suite {
  /** Also the name of its JSON file in bench/results/. */
  name: string;
  title: string;
  run(): SuiteResult | Promise<SuiteResult>;
}
