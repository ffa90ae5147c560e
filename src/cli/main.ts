#!/usr/bin/env node
/**
 * The `ebpf` command. Each subcommand lives in commands/; this file wires
 * them to commander and turns every failure into one line and an exit code.
 */
import { Command, CommanderError } from 'commander';
import { describeError, exitCodeOf, EXIT_USAGE } from './report.js';
import { asmCommand } from './commands/asm.js';
import { disasmCommand } from './commands/disasm.js';
import { runCommand } from './commands/run.js';
import { conformanceCommand } from './commands/conformance.js';
import { verifyCommand } from './commands/verify.js';
import { featureCommand } from './commands/feature.js';
import { mapCommand } from './commands/map.js';
import { inspectCommand } from './commands/inspect.js';

export function buildProgram(): Command {
  const program = new Command('ebpf')
    .description('eBPF for Node.js and browsers: assemble, verify, run and test eBPF programs')
    .option('--debug', 'print stack traces of errors')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  for (const make of [asmCommand, disasmCommand, runCommand, conformanceCommand, verifyCommand, featureCommand, mapCommand, inspectCommand]) {
    program.addCommand(make().exitOverride());
  }
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its one-line message (or the help).
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    process.stderr.write(`ebpf: ${describeError(err)}\n`);
    if (argv.includes('--debug') && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return exitCodeOf(err);
  }
}

main(process.argv).then((code) => { process.exitCode = code; });
