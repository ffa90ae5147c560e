import { Command, Option } from 'commander';
import type { CollectionSpec } from '../../elf/index.js';
import { EbpfError } from '../../internal/errors.js';
import { openKernel, verifyOnKernel } from '../../kernel/index.js';
import { UnsupportedProgramError, verifyProgramOnKernel, verifyProgramSpec } from '../../runtime/index.js';
import { verify } from '../../verifier/index.js';
import { progTypeByName } from '../../platform/index.js';
import { isElf, readFileOrFail, readObject, readProgram } from '../program-input.js';
import { EXIT_USAGE, UsageError } from '../report.js';

interface VerifyOptions {
  type?: string;
  program?: string;
  logLevel: string;
  engine: 'ours' | 'kernel';
  json?: boolean;
}

interface Verdict {
  accepted: boolean;
  processedInsns: number;
  error: { insn: number | null; message: string } | null;
  log: string;
}

/** One program's outcome in an object: a verdict, or why it could not be verified. */
type ObjectVerdict = { program: string } & (Verdict | { unsupported: string });

/**
 * `ebpf verify`: the verdict and log of a verifier — ours (no privileges
 * needed) or the running kernel's, in the same shape — on assembly, raw
 * instructions or the programs of an ELF object.
 * Exit 0 when accepted, 1 when rejected, 2 on usage or load errors (and when
 * a program of an object could not be verified at all).
 */
export function verifyCommand(): Command {
  return new Command('verify')
    .description('verify a program and print the verifier\'s verdict and log (exit 0 accepted, 1 rejected)')
    .argument('<in>', 'assembly (.s), raw instructions (.bin) or an ELF object from clang')
    .option('--type <type>', 'program type of assembly or raw input (xdp, sched_cls, kprobe, ...; default socket_filter)')
    .option('--program <name>', 'verify only this program of an object (default: every program)')
    .addOption(new Option('--log-level <n>', 'verifier log level').choices(['1', '2']).default('1'))
    .addOption(new Option('--engine <engine>', 'whose verifier: ours, or the running kernel\'s').choices(['ours', 'kernel']).default('ours'))
    .option('--json', 'print {"accepted","processedInsns","error":{"insn","message"}|null,"log"} (an array of them, with "program", for an object)')
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
      const verdict = opts.engine === 'kernel'
        ? verifyOnKernel(openKernel(), insns, { type, logLevel })
        : pick(verify(insns, { progType: type, logLevel }));
      if (opts.json) {
        process.stdout.write(JSON.stringify(verdict) + '\n');
      } else {
        process.stdout.write(withNewline(verdict.log));
        process.stdout.write(verdictLine(verdict));
      }
      if (!verdict.accepted) process.exitCode = 1;
    });
}

const pick = ({ accepted, processedInsns, error, log }: Verdict): Verdict => ({ accepted, processedInsns, error, log });
const withNewline = (log: string): string => (log.endsWith('\n') || !log ? log : log + '\n');
const verdictLine = (v: Verdict): string => (v.accepted ? 'accepted\n' : `rejected: ${v.error?.message ?? 'no reason given'}\n`);

/** Every program of the object (or the one --program names), one verdict each. */
function verifyObject(spec: CollectionSpec, opts: VerifyOptions): void {
  if (opts.type !== undefined) throw new UsageError('--type applies to assembly and raw input: an object\'s sections name the types of its programs');
  const names = opts.program === undefined ? spec.programs.map((p) => p.name) : [opts.program];
  if (opts.program !== undefined && !spec.programs.some((p) => p.name === opts.program)) {
    throw new UsageError(`--program: the object has no program ${opts.program} (it has: ${spec.programs.map((p) => p.name).join(', ') || 'none'})`);
  }
  const logLevel = Number(opts.logLevel) as 1 | 2;
  const kernel = opts.engine === 'kernel' ? openKernel() : undefined;
  const results: ObjectVerdict[] = names.map((program) => {
    try {
      const v = kernel ? verifyProgramOnKernel(spec, program, { kernel, logLevel }) : pick(verifyProgramSpec(spec, program, { logLevel }));
      return { program, ...v };
    } catch (err) {
      if (err instanceof UnsupportedProgramError) return { program, unsupported: err.reason };
      if (kernel && err instanceof EbpfError) return { program, unsupported: err.message.split('\n')[0] };
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
      if (opts.program !== undefined || !r.accepted || logLevel > 1) process.stdout.write(withNewline(r.log));
      process.stdout.write(`${r.program}: ${verdictLine(r)}`);
    }
  }
  if (results.some((r) => !('unsupported' in r) && !r.accepted)) process.exitCode = 1;
  else if (results.some((r) => 'unsupported' in r)) process.exitCode = EXIT_USAGE;
}
