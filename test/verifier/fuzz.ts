/**
 * The differential verifier fuzzer: programs from fuzz-gen.ts near the
 * accept/reject boundary are verified by us and by the running kernel; the
 * verdicts (and, where both reject, the messages) are compared and each
 * disagreement is classified:
 *
 * - `unsafe-accept`: we accept what the kernel rejects for a safety reason —
 *   a soundness bug, the one class that must stay empty;
 * - `limit-accept`:  we accept what the kernel rejects for a limit (program
 *   too large, too complex): not a safety hole, still a disagreement;
 * - `strict-reject`: we reject what the kernel accepts;
 * - `message`:       both reject, with different messages (the verdict agrees).
 *
 *   npm run fuzz:verifier -- --count 100000 [--seed 1] [--chunk 10000] [--template pkt,null]
 *
 * Without a kernel, only our invariants are checked (a verdict, a message
 * for every rejection, no crash).
 */
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { createMap, Kernel, kernelStatus, verifyOnKernel, type KernelMap } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';
import type { MapDescriptor } from '../../src/verifier/index.js';
import { lastLines } from './corpus.js';
import { TEMPLATES, corpusText, fuzzCaseArb, fuzzInsns, type FuzzCase, type TemplateName } from './fuzz-gen.js';

export type DisagreementKind = 'unsafe-accept' | 'limit-accept' | 'strict-reject' | 'message';

export interface Finding {
  kind: DisagreementKind;
  c: FuzzCase;
  ours: string;
  kernel: string;
}

export interface FuzzReport {
  seed: number;
  programs: number;
  accepted: number;
  /** Same verdict as the kernel. */
  verdictAgree: number;
  /** Same verdict and, for rejections, the same message. */
  exactAgree: number;
  /** Disagreements by class key (kind, template and the two messages with numbers blanked), with the first example. */
  classes: Map<string, { count: number; first: Finding }>;
  byKind: Record<DisagreementKind, number>;
  /** Without a kernel: only our side ran. */
  oursOnly: boolean;
}

/** Kernel messages that reject for a limit of the analysis, not for what the program does. */
const LIMIT = /too large|too complex|complexity|jump sequence|too many states|BPF_COMPLEXITY/i;

/** The kernel's maps of one shape, created once for a whole run. */
export class MapPool implements Disposable {
  private readonly maps = new Map<string, KernelMap>();
  constructor(private readonly kernel: Kernel) {}

  fds(descs: readonly MapDescriptor[]): number[] {
    return descs.map((d) => {
      const key = `${d.type}/${d.keySize}/${d.valueSize}/${d.maxEntries}`;
      let m = this.maps.get(key);
      if (!m) {
        m = createMap(this.kernel, { type: d.type, keySize: d.keySize, valueSize: d.valueSize, maxEntries: d.maxEntries });
        this.maps.set(key, m);
      }
      return m.fd.value;
    });
  }

  [Symbol.dispose](): void {
    for (const m of this.maps.values()) m.close();
  }
}

const blank = (s: string) => s.replace(/-?\d+/g, 'N').replace(/\s+/g, ' ');

/** Compare one case; returns the verdict ours gave and the finding if the two disagree. */
export function compareCase(c: FuzzCase, kernel: { pool: MapPool; kernel: Kernel } | undefined): { accepted: boolean; finding?: Finding } {
  const insns = fuzzInsns(c);
  const ours = verify(insns, { progType: c.prog, maps: c.maps, license: 'GPL', logLevel: 0 });
  if (!ours.accepted && !(ours.error && ours.error.message.length > 0)) throw new Error(`a rejection without a message:\n${c.text}`);
  if (!kernel) return { accepted: ours.accepted };
  const theirs = verifyOnKernel(kernel.kernel, insns, { type: c.prog, license: 'GPL', logLevel: 1, fdArray: kernel.pool.fds(c.maps) });
  const ourMsg = ours.error ? lastLines(ours.error.message) : 'accept';
  const kMsg = theirs.error?.message ?? 'accept';
  const kind = classify(ours.accepted, ourMsg, theirs.accepted, kMsg);
  return { accepted: ours.accepted, finding: kind && { kind, c, ours: ourMsg, kernel: kMsg } };
}

/** The class of a pair of verdicts (undefined: they agree, messages too). */
export function classify(oursAccepted: boolean, oursMsg: string, kernelAccepted: boolean, kernelMsg: string): DisagreementKind | undefined {
  if (oursAccepted === kernelAccepted) return oursAccepted || oursMsg === kernelMsg ? undefined : 'message';
  if (!oursAccepted) return 'strict-reject';
  return LIMIT.test(kernelMsg) ? 'limit-accept' : 'unsafe-accept';
}

export function newReport(seed: number, oursOnly: boolean): FuzzReport {
  return {
    seed, programs: 0, accepted: 0, verdictAgree: 0, exactAgree: 0, classes: new Map(), oursOnly,
    byKind: { 'unsafe-accept': 0, 'limit-accept': 0, 'strict-reject': 0, message: 0 },
  };
}

/** Run `count` programs from seed `seed` into `report` (which may hold earlier chunks). */
export function runFuzz(report: FuzzReport, count: number, seed: number, kernel?: Kernel, templates?: readonly TemplateName[]): FuzzReport {
  using pool = kernel ? new MapPool(kernel) : undefined;
  const k = kernel && pool ? { kernel, pool } : undefined;
  fc.assert(fc.property(fuzzCaseArb(templates), (c) => {
    const { accepted, finding } = compareCase(c, k);
    report.programs++;
    if (accepted) report.accepted++;
    if (!finding) {
      report.verdictAgree++;
      report.exactAgree++;
      return;
    }
    report.byKind[finding.kind]++;
    if (finding.kind === 'message') report.verdictAgree++;
    const key = `${finding.kind} ${c.template}: ours "${blank(finding.ours)}" / kernel "${blank(finding.kernel)}"`;
    const cls = report.classes.get(key);
    if (cls) cls.count++;
    else report.classes.set(key, { count: 1, first: finding });
  }), { numRuns: count, seed });
  return report;
}

const pct = (n: number, d: number) => (d ? ((100 * n) / d).toFixed(3) : '-');

/** The figures, then every class of disagreement with its first example as a corpus case. */
export function formatFuzzReport(r: FuzzReport, examples = true): string {
  const out = [
    r.oursOnly
      ? `${r.programs} programs, ours only (no kernel): ${r.accepted} accepted, ${r.programs - r.accepted} rejected`
      : `${r.programs} programs: verdict agreement ${pct(r.verdictAgree, r.programs)}% (${r.verdictAgree}), verdict+message ${pct(r.exactAgree, r.programs)}% (${r.exactAgree}); `
        + `${r.accepted} accepted by us; unsafe accepts ${r.byKind['unsafe-accept']}, limit accepts ${r.byKind['limit-accept']}, `
        + `stricter rejects ${r.byKind['strict-reject']}, message differences ${r.byKind.message} [seed ${r.seed}]`,
  ];
  const order: DisagreementKind[] = ['unsafe-accept', 'limit-accept', 'strict-reject', 'message'];
  const classes = [...r.classes].sort((a, b) => order.indexOf(a[1].first.kind) - order.indexOf(b[1].first.kind) || b[1].count - a[1].count);
  for (const [key, { count, first }] of classes) {
    out.push(`  ${count}x ${key}`);
    if (examples) out.push(corpusText(first.c, `${first.kind}: ours ${first.ours.replace(/\n/g, ' | ')}; kernel ${first.kernel.replace(/\n/g, ' | ')}`).replace(/^/gm, '      '));
  }
  return out.join('\n');
}

interface CliOptions {
  count: number;
  seed: number;
  chunk: number;
  templates?: TemplateName[];
  examples: boolean;
}

function parseArgs(argv: readonly string[]): CliOptions {
  const o: CliOptions = { count: 1000, seed: 1, chunk: 10_000, examples: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = argv[++i];
    if (value === undefined) throw new Error(`${a} needs a value`);
    const num = () => {
      if (!/^\d+$/.test(value)) throw new Error(`${a} needs a non-negative integer, got ${value}`);
      return Number(value);
    };
    if (a === '--count') o.count = num();
    else if (a === '--seed') o.seed = num();
    else if (a === '--chunk') o.chunk = Math.max(1, num());
    else if (a === '--examples') o.examples = value !== 'no';
    else if (a === '--template') {
      const names = value.split(',');
      for (const n of names) if (!(TEMPLATES as readonly string[]).includes(n)) throw new Error(`unknown template ${n} (${TEMPLATES.join(', ')})`);
      o.templates = names as TemplateName[];
    } else throw new Error(`unknown argument ${a} (usage: fuzz --count N [--seed S] [--chunk C] [--template ${TEMPLATES.join(',')}] [--examples no])`);
  }
  return o;
}

function main(): number {
  let o: CliOptions;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const status = kernelStatus();
  if (!status.available) console.error(`no kernel (${status.reason}): checking our invariants only`);
  const kernel = status.available ? Kernel.open() : undefined;
  const report = newReport(o.seed, !kernel);
  // Chunks of their own seeds: progress shows, and a chunk is reproducible alone with --seed S+i --count C.
  for (let i = 0, done = 0; done < o.count; i++) {
    const n = Math.min(o.chunk, o.count - done);
    const t0 = Date.now();
    runFuzz(report, n, o.seed + i, kernel, o.templates);
    done += n;
    console.error(`chunk ${i} (seed ${o.seed + i}, ${n} programs) in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${formatFuzzReport(report, false).split('\n')[0]}`);
  }
  console.log(formatFuzzReport(report, o.examples));
  return report.byKind['unsafe-accept'] > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
