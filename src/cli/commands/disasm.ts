import { Command, Option } from 'commander';
import { disassemble } from '../../asm/index.js';
import { jitToWat } from '../../jit/index.js';
import { helperName } from '../../platform/helper-ids.js';
import { readProgram } from '../program-input.js';

export function disasmCommand(): Command {
  return new Command('disasm')
    .description('print a program\'s instructions as the kernel verifier log does (or in LLVM / uBPF syntax)')
    .argument('<in>', 'raw instructions (.bin) or assembly (.s)')
    .addOption(new Option('--format <format>', 'output syntax').choices(['kernel', 'llvm', 'ubpf']).default('kernel'))
    .addOption(new Option('--byte-order <order>', 'byte order of raw input').choices(['le', 'be']).default('le'))
    .option('--no-indexes', 'omit the instruction index column (kernel format)')
    .option('--jited', 'print the WebAssembly (text format) the JIT makes of the program')
    .action((input: string, opts: { format: 'kernel' | 'llvm' | 'ubpf'; byteOrder: 'le' | 'be'; indexes: boolean; jited?: boolean }) => {
      const { insns } = readProgram(input, opts.byteOrder);
      const text = opts.jited
        ? jitToWat(insns)
        : disassemble(insns, { format: opts.format, indexes: opts.indexes && opts.format === 'kernel', helperName });
      process.stdout.write(text.endsWith('\n') ? text : text + '\n');
    });
}
