/** `ebpf inspect OBJ [--json]`: the programs, maps and global variables of an ELF object. */
import { Command } from 'commander';
import { formatInspection, inspectCollection } from '../../elf/index.js';
import { readObject } from '../program-input.js';

export function inspectCommand(): Command {
  return new Command('inspect')
    .description('list the programs (section, type, instructions), maps and global variables of an ELF object')
    .argument('<object>', 'ELF object (.o) from clang -target bpf')
    .option('--json', 'print the inspection as JSON')
    .action((file: string, opts: { json?: boolean }) => {
      const inspection = inspectCollection(readObject(file));
      process.stdout.write(opts.json ? JSON.stringify(inspection, null, 2) + '\n' : formatInspection(inspection));
    });
}
