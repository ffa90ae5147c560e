import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { encodeInsns } from '../../isa/index.js';
import { readProgram } from '../program-input.js';
import { UsageError } from '../report.js';
import { toHex } from '../../internal/bytes.js';

export function asmCommand(): Command {
  return new Command('asm')
    .description('assemble a program (uBPF or kernel/LLVM syntax) into raw 8-byte instructions')
    .argument('<in>', 'assembly source (.s)')
    .option('-o, --output <file>', 'write the raw instructions here (default: print them as hex, one slot a line)')
    .addOption(new Option('--byte-order <order>', 'byte order of the output').choices(['le', 'be']).default('le'))
    .action((input: string, opts: { output?: string; byteOrder: 'le' | 'be' }) => {
      const { insns } = readProgram(input);
      const bytes = encodeInsns(insns, opts.byteOrder);
      if (opts.output) {
        try {
          writeFileSync(opts.output, bytes);
        } catch (err) {
          throw new UsageError(`cannot write ${opts.output}: ${(err as Error).message}`);
        }
        return;
      }
      const lines: string[] = [];
      for (let i = 0; i < bytes.length; i += 8) lines.push(toHex(bytes.subarray(i, i + 8)).replace(/(..)(?!$)/g, '$1 '));
      process.stdout.write(lines.join('\n') + '\n');
    });
}
