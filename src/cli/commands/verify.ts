import { Command, Option } from 'commander';
import { openKernel, verifyOnKernel } from '../../kernel/index.js';
import { verify } from '../../verifier/index.js';
import { progTypeByName } from '../../platform/index.js';
import { readProgram } from '../program-input.js';
import { UsageError } from '../report.js';

interface VerifyOptions {
  type: string;
  logLevel: string;
  engine: 'ours' | 'kernel';
  json?: boolean;
}

/**
 * `ebpf verify`: the verdict and log of a verifier — ours (no privileges
 * needed) or the running kernel's, in the same shape.
 * Exit 0 when accepted, 1 when rejected, 2 on usage or load errors.
 */
export function verifyCommand(): Command {
  return new Command('verify')
    .description('verify a program and print the verifier\'s verdict and log (exit 0 accepted, 1 rejected)')
    .argument('<in>', 'assembly (.s) or raw instructions (.bin)')
    .option('--type <type>', 'program type (xdp, sched_cls, kprobe, ...)', 'socket_filter')
    .addOption(new Option('--log-level <n>', 'verifier log level').choices(['1', '2']).default('1'))
    .addOption(new Option('--engine <engine>', 'whose verifier: ours, or the running kernel\'s').choices(['ours', 'kernel']).default('ours'))
    .option('--json', 'print {"accepted","processedInsns","error":{"insn","message"}|null,"log"}')
    .action((input: string, opts: VerifyOptions) => {
      if (progTypeByName(opts.type) === undefined) throw new UsageError(`--type: unknown program type '${opts.type}'`);
      const { insns } = readProgram(input);
      const logLevel = Number(opts.logLevel) as 1 | 2;
      const verdict = opts.engine === 'kernel'
        ? verifyOnKernel(openKernel(), insns, { type: opts.type, logLevel })
        : (({ accepted, processedInsns, error, log }) => ({ accepted, processedInsns, error, log }))(verify(insns, { progType: opts.type, logLevel }));
      if (opts.json) {
        process.stdout.write(JSON.stringify(verdict) + '\n');
      } else {
        process.stdout.write(verdict.log.endsWith('\n') || !verdict.log ? verdict.log : verdict.log + '\n');
        process.stdout.write(verdict.accepted ? 'accepted\n' : `rejected: ${verdict.error?.message ?? 'no reason given'}\n`);
      }
      if (!verdict.accepted) process.exitCode = 1;
    });
}
