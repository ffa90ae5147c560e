import { Command, Option } from 'commander';
import type { CollectionSpec } from '../../elf/index.js';
import { EbpfError } from '../../internal/errors.js';
import type { Insn } from '../../isa/index.js';
import { openKernel, verifyOnKernel } from '../../kernel/index.js';
import { UnsupportedProgramError, verifyProgramOnKernel, verifyProgramSpec } from '../../runtime/index.js';
import { verify } from '../../verifier/index.js';
import { progTypeByName } from '../../platform/index.js';
import { isElf, RAW_LICENSE, readFileOrFail, readObject, readProgram } from '../program-input.js';
import { EXIT_USAGE, UsageError } from '../report.js';

interface VerifyOptions {
  type?: string;
  program?: string;
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

/** One program's outcome in an object: a report, or why it could not be verified. */
type ObjectVerdict = { program: string } & (VerifyReport | { unsupported: string });

/** The line that separates the kernel-format log from our explanation in the text output. */
export const SUMMARY_SEPARATOR = '-- explanation (not part of the verifier log) --\n';

/**
 * The kernel's verdict with our explanation: our verifier's summary when it
 * rejects the program at the same instruction, null otherwise (an
 * explanation of a different rejection would mislead).
 */
function withOurSummary(kernel: Omit<VerifyReport, 'summary'>, ours: () => { error: { insn: number } | null; summary: string | null }): VerifyReport {
  let summary: string | null = null;
  if (kernel.error) {
    const o = ours();
    if (o.error && o.error.insn === kernel.error.insn) summary = o.summary;
  }
  const { accepted, processedInsns, error, log } = kernel;
  return { accepted, processedInsns, error, log, summary };
}

function kernelReport(insns: Insn[], type: string, logLevel: 1 | 2): VerifyReport {
  return withOurSummary(verifyOnKernel(openKernel(), insns, { type, logLevel }), () => verify(insns, { progType: type, license: RAW_LICENSE, logLevel: 0 }));
}

const report = ({ accepted, processedInsns, error, log, summary }: VerifyReport): VerifyReport => ({ accepted, processedInsns, error, log, summary });

/** Verdict, log and summary of a program: the text output puts the summary after the log, clearly apart. */
export function formatVerifyReport(r: VerifyReport, { withLog = true, program }: { withLog?: boolean; program?: string } = {}): string {
  let out = !withLog ? '' : r.log.endsWith('\n') || !r.log ? r.log : r.log + '\n';
  if (r.summary) out += SUMMARY_SEPARATOR + r.summary;
  if (program !== undefined) out += `${program}: `;
  return out + (r.accepted ? 'accepted\n' : `rejected: ${r.error?.message ?? 'no reason given'}\n`);
}

/**
 * `ebpf verify`: the verdict and log of a verifier — ours (no privileges
 * needed) or the running kernel's, in the same shape — on assembly, raw
 * instructions or the programs of an ELF object, and for a rejection our
 * explanation of it.
 * Exit 0 when accepted, 1 when rejected, 2 on usage or load errors (and when
 * a program of an object could not be verified at all).
 */
export function verifyCommand(): Command {
  return new Command('verify')
    .description('verify a program and print the verifier\'s verdict and log, and an explanation of a rejection (exit 0 accepted, 1 rejected)')
    .argument('<in>', 'assembly (.s), raw instructions (.bin) or an ELF object from clang')
    .option('--type <type>', 'program type of assembly or raw input (xdp, sched_cls, kprobe, ...; default socket_filter)')
    .option('--program <name>', 'verify only this program of an object (default: every program)')
    .addOption(new Option('--log-level <n>', 'verifier log level').choices(['1', '2']).default('1'))
    .addOption(new Option('--engine <engine>', 'whose verifier: ours, or the running kernel\'s').choices(['ours', 'kernel']).default('ours'))
    .option('--json', 'print {"accepted","processedInsns","error":{"insn","message"}|null,"log","summary"} (an array of them, with "program", for an object)')
    .action((input: string, opts: VerifyOptions) => {
      const bytes = readFileOrFail(input);
      if (isElf(bytes)) {
        verifyObject(readObject(input, bytes), opts);
        return;
      }
      if (opts.program !== undefined) throw new UsageError('--program picks a program of an ELF object; this input is one program');
      const type = opts.type ?? 'socket_filter';
      if (progTypeByName(type) === undefined) throw new UsageError(`--type: unknown program type '${type}'`);
      const { insns } = readProgram(input);
      const logLevel = Number(opts.logLevel) as 1 | 2;
      const r = opts.engine === 'kernel' ? kernelReport(insns, type, logLevel) : report(verify(insns, { progType: type, license: RAW_LICENSE, logLevel }));
      process.stdout.write(opts.json ? JSON.stringify(r) + '\n' : formatVerifyReport(r));
      if (!r.accepted) process.exitCode = 1;
    });
}

/** Every program of the object (or the one --program names), one verdict each. */
function verifyObject(spec: CollectionSpec, opts: VerifyOptions): void {
  if (opts.type !== undefined) throw new UsageError('--type applies to assembly and raw input: an object\'s sections name the types of its programs');
  const names = opts.program === undefined ? spec.programs.map((p) => p.name) : [opts.program];
  if (opts.program !== undefined && !spec.programs.some((p) => p.name === opts.program)) {
    throw new UsageError(`--program: the object has no program ${opts.program} (it has: ${spec.programs.map((p) => p.name).join(', ') || 'none'})`);
  }
  const logLevel = Number(opts.logLevel) as 1 | 2;
  const kernel = opts.engine === 'kernel' ? openKernel() : undefined;
  const ours = (program: string, level: 0 | 1 | 2) => verifyProgramSpec(spec, program, { logLevel: level });
  const results: ObjectVerdict[] = names.map((program) => {
    try {
      const v = kernel
        ? withOurSummary(verifyProgramOnKernel(spec, program, { kernel, logLevel }), () => ours(program, 0))
        : report(ours(program, logLevel));
      return { program, ...v };
    } catch (err) {
      if (err instanceof UnsupportedProgramError) return { program, unsupported: err.reason };
      // A program that cannot be loaded (a CO-RE relocation that fails, a map the kernel refuses) is not verified; the others still are.
      if (err instanceof EbpfError) return { program, unsupported: err.message.split('\n')[0] };
      throw err;
    }
  });
  if (opts.json) {
    process.stdout.write(JSON.stringify(opts.program === undefined ? results : results[0]) + '\n');
  } else {
    for (const r of results) {
      if ('unsupported' in r) {
        process.stdout.write(`${r.program}: not verified: ${r.unsupported}\n`);
        continue;
      }
      const withLog = opts.program !== undefined || !r.accepted || logLevel > 1;
      process.stdout.write(formatVerifyReport(r, { withLog, program: r.program }));
    }
  }
  if (results.some((r) => !('unsupported' in r) && !r.accepted)) process.exitCode = 1;
  else if (results.some((r) => 'unsupported' in r)) process.exitCode = EXIT_USAGE;
}
