import { Command, Option } from 'commander';
import { openKernel, verifyOnKernel } from '../../kernel/index.js';
import { verify } from '../../verifier/index.js';
import { progTypeByName } from '../../platform/index.js';
import type { Insn } from '../../isa/index.js';
import { readProgram } from '../program-input.js';
import { UsageError } from '../report.js';

interface VerifyOptions {
  type: string;
  logLevel: string;
  engine: 'ours' | 'kernel';
  json?: boolean;
}

/** What `ebpf verify --json` prints, keys in this order. */
export interface VerifyReport {
  accepted: boolean;
  processedInsns: number;
  error: { insn: number | null; message: string } | null;
  /** The verifier's log in the kernel's format, unchanged. */
  log: string;
  /** Our explanation of a rejection (explain.ts); null when accepted or when we cannot explain the kernel's. */
  summary: string | null;
}

/** The line that separates the kernel-format log from our explanation in the text output. */
export const SUMMARY_SEPARATOR = '-- explanation (not part of the verifier log) --\n';

/**
 * The kernel's verdict with our explanation: our verifier's summary when it
 * rejects the program at the same instruction, null otherwise (an
 * explanation of a different rejection would mislead).
 */
function kernelReport(insns: Insn[], type: string, logLevel: 1 | 2): VerifyReport {
  const { accepted, processedInsns, error, log } = verifyOnKernel(openKernel(), insns, { type, logLevel });
  let summary: string | null = null;
  if (error) {
    const ours = verify(insns, { progType: type, logLevel: 0 });
    if (ours.error && ours.error.insn === error.insn) summary = ours.summary;
  }
  return { accepted, processedInsns, error, log, summary };
}

/** Verdict, log and summary of a program: the text output puts the summary after the log, clearly apart. */
export function formatVerifyReport(r: VerifyReport): string {
  let out = r.log.endsWith('\n') || !r.log ? r.log : r.log + '\n';
  if (r.summary) out += SUMMARY_SEPARATOR + r.summary;
  return out + (r.accepted ? 'accepted\n' : `rejected: ${r.error?.message ?? 'no reason given'}\n`);
}

/**
 * `ebpf verify`: the verdict and log of a verifier — ours (no privileges
 * needed) or the running kernel's, in the same shape — and, for a
 * rejection, our explanation of it.
 * Exit 0 when accepted, 1 when rejected, 2 on usage or load errors.
 */
export function verifyCommand(): Command {
  return new Command('verify')
    .description('verify a program and print the verifier\'s verdict and log, and an explanation of a rejection (exit 0 accepted, 1 rejected)')
    .argument('<in>', 'assembly (.s) or raw instructions (.bin)')
    .option('--type <type>', 'program type (xdp, sched_cls, kprobe, ...)', 'socket_filter')
    .addOption(new Option('--log-level <n>', 'verifier log level').choices(['1', '2']).default('1'))
    .addOption(new Option('--engine <engine>', 'whose verifier: ours, or the running kernel\'s').choices(['ours', 'kernel']).default('ours'))
    .option('--json', 'print {"accepted","processedInsns","error":{"insn","message"}|null,"log","summary"}')
    .action((input: string, opts: VerifyOptions) => {
      if (progTypeByName(opts.type) === undefined) throw new UsageError(`--type: unknown program type '${opts.type}'`);
      const { insns } = readProgram(input);
      const logLevel = Number(opts.logLevel) as 1 | 2;
      let report: VerifyReport;
      if (opts.engine === 'kernel') {
        report = kernelReport(insns, opts.type, logLevel);
      } else {
        const { accepted, processedInsns, error, log, summary } = verify(insns, { progType: opts.type, logLevel });
        report = { accepted, processedInsns, error, log, summary };
      }
      process.stdout.write(opts.json ? JSON.stringify(report) + '\n' : formatVerifyReport(report));
      if (!report.accepted) process.exitCode = 1;
    });
}
