import { Command, Option } from 'commander';
import { parseHexBytes, toHex } from '../../internal/bytes.js';
import { readProgram, readFileOrFail } from '../program-input.js';
import { UsageError } from '../report.js';
import { ENGINE_NAMES, runRaw, type EngineName } from '../engines.js';

interface RunOptions {
  mem?: string;
  data?: string;
  repeat: string;
  engine: EngineName;
  json?: boolean;
  trace?: boolean;
  unchecked?: boolean;
}

function parseRepeat(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1e9) throw new UsageError(`--repeat takes a whole number from 1 to 1000000000, got '${text}'`);
  return n;
}

export function runCommand(): Command {
  return new Command('run')
    .description('run a program: r1 points to the input memory and r2 holds its length; prints r0')
    .argument('<in>', 'assembly (.s) or raw instructions (.bin)')
    .option('--mem <file>', 'input memory, read from a file')
    .option('--data <hex>', 'input memory as hex bytes (e.g. "aa bb 11")')
    .option('--repeat <n>', 'run this many times (durationNs is the mean)', '1')
    .addOption(new Option('--engine <engine>', 'execution engine').choices(ENGINE_NAMES).default('interp'))
    .option('--json', 'print {"engine","retval","durationNs","dataOut"}')
    .option('--trace', 'print each executed instruction and the registers it wrote (interp)')
    .option('--unchecked', 'skip the interpreter\'s region checks (accesses stay inside its memory)')
    .action((input: string, opts: RunOptions) => {
      if (opts.mem && opts.data) throw new UsageError('give either --mem or --data, not both');
      const repeat = parseRepeat(opts.repeat);
      let mem: Uint8Array | undefined;
      if (opts.mem) mem = readFileOrFail(opts.mem);
      if (opts.data !== undefined) {
        const bytes = parseHexBytes(opts.data);
        if (!bytes) throw new UsageError(`--data: '${opts.data}' is not hex bytes`);
        mem = bytes;
      }
      const { insns } = readProgram(input);
      const trace = opts.trace ? (line: string) => process.stderr.write(line + '\n') : undefined;
      const result = runRaw(opts.engine, insns, { mem, repeat, trace, checked: !opts.unchecked });
      if (opts.json) {
        process.stdout.write(JSON.stringify({
          engine: opts.engine,
          retval: result.retval.toString(),
          durationNs: result.durationNs,
          dataOut: toHex(result.dataOut),
        }) + '\n');
      } else {
        process.stdout.write(`0x${result.retval.toString(16)}\n`);
      }
    });
}
