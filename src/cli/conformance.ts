/**
 * The conformance runner: every `.data` file of a directory, assembled (or
 * taken raw), run on an engine, and its r0 compared with the expectation.
 *
 * As in the bpf_conformance suite, an `-- error` section describes how the
 * *run* must fail; a program that cannot be read, assembled or decoded fails
 * the test whatever it expects, with the reason.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EbpfError } from '../internal/errors.js';
import { u64Hex } from '../internal/bytes.js';
import { decodeInsns, decodeProgram, type Insn } from '../isa/index.js';
import { assemble } from '../asm/index.js';
import { parseConformanceData, rawWordsToBytes } from './conformance-data.js';
import { describeError, InputError, UsageError } from './report.js';

/** What an engine made of one program. */
export type EngineOutcome =
  | { kind: 'ok'; r0: bigint }
  | { kind: 'error'; message: string }
  | { kind: 'unsupported'; reason: string };

/** Runs one program with the conformance contract: r1 = the memory (or 0), r2 = its length. */
export type ConformanceEngine = (insns: Insn[], mem: Uint8Array | undefined) => EngineOutcome;

export interface ConformanceResult {
  file: string;
  status: 'pass' | 'fail' | 'skip';
  /** Why it failed or was skipped. */
  reason?: string;
}

export interface ConformanceSummary {
  passed: number;
  failed: number;
  skipped: number;
  results: ConformanceResult[];
}

/** The program of a test file: `-- raw` wins over `-- asm`, as the suite specifies. */
export function conformanceProgram(file: string, text: string): { insns: Insn[]; mem?: Uint8Array; result?: bigint; error?: string } {
  let data;
  try {
    data = parseConformanceData(text);
  } catch (err) {
    throw err instanceof EbpfError ? new InputError(file, err) : err;
  }
  let insns: Insn[];
  if (data.raw) {
    insns = decodeInsns(rawWordsToBytes(data.raw));
  } else {
    try {
      insns = assemble(data.asm!.text, { file });
    } catch (err) {
      throw err instanceof EbpfError ? new InputError(file, err, data.asm!.line - 1) : err;
    }
  }
  try {
    decodeProgram(insns);
  } catch (err) {
    throw err instanceof EbpfError ? new InputError(file, err) : err;
  }
  return { insns, mem: data.mem, result: data.result, error: data.error };
}

/** Run one test file. */
export function runConformanceFile(path: string, engine: ConformanceEngine): ConformanceResult {
  const file = basename(path);
  let test;
  try {
    test = conformanceProgram(file, readFileSync(path, 'utf8'));
  } catch (err) {
    if (err instanceof EbpfError) return { file, status: 'fail', reason: describeError(err, { withFile: false }) };
    throw err;
  }
  const outcome = engine(test.insns, test.mem);
  if (outcome.kind === 'unsupported') return { file, status: 'skip', reason: outcome.reason };
  if (test.error !== undefined) {
    if (outcome.kind === 'ok') {
      return { file, status: 'fail', reason: `expected the run to fail${test.error ? ` with '${test.error}'` : ''}, but it returned ${u64Hex(outcome.r0)}` };
    }
    if (test.error && !outcome.message.includes(test.error)) {
      return { file, status: 'fail', reason: `expected an error containing '${test.error}', got: ${outcome.message}` };
    }
    return { file, status: 'pass' };
  }
  if (outcome.kind === 'error') return { file, status: 'fail', reason: `expected ${u64Hex(test.result!)}, but the run failed: ${outcome.message}` };
  if (outcome.r0 !== test.result) return { file, status: 'fail', reason: `expected ${u64Hex(test.result!)}, got ${u64Hex(outcome.r0)}` };
  return { file, status: 'pass' };
}

/** Run every `.data` file of a directory, in name order. */
export function runConformanceDir(dir: string, engine: ConformanceEngine): ConformanceSummary {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a directory`);
    names = readdirSync(dir).filter((n) => n.endsWith('.data')).sort();
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${dir}: ${(err as Error).message}`);
  }
  if (names.length === 0) throw new UsageError(`${dir} has no .data files`);
  const results = names.map((n) => runConformanceFile(join(dir, n), engine));
  const count = (s: ConformanceResult['status']) => results.filter((r) => r.status === s).length;
  return { passed: count('pass'), failed: count('fail'), skipped: count('skip'), results };
}

/** The text report: each failure with its reason, skips explained, then `N passed, M failed`. */
export function formatConformance(summary: ConformanceSummary): string {
  const lines: string[] = [];
  for (const r of summary.results) if (r.status === 'fail') lines.push(`FAIL ${r.file}: ${r.reason}`);
  const skips = summary.results.filter((r) => r.status === 'skip');
  if (skips.length) {
    for (const r of skips) lines.push(`SKIP ${r.file}: ${r.reason}`);
    lines.push(`${skips.length} skipped (the engine cannot express them; reasons above)`);
  }
  lines.push(`${summary.passed} passed, ${summary.failed} failed`);
  return lines.join('\n');
}
