import { Command, Option } from 'commander';
import { formatConformance, runConformanceDir } from '../conformance.js';
import { DEFAULT_ENGINE } from '../../runtime/index.js';
import { conformanceEngine, ENGINE_NAMES, type EngineName } from '../engines.js';

export function conformanceCommand(): Command {
  return new Command('conformance')
    .description('run every .data file of the BPF conformance suite in DIR; ends with "N passed, M failed"')
    .argument('<dir>', 'directory of .data files (e.g. bpf_conformance/tests)')
    .addOption(new Option('--engine <engine>', 'execution engine').choices(ENGINE_NAMES).default(DEFAULT_ENGINE))
    .option('--json', 'print {"engine","passed","failed","skipped","results"}')
    .action((dir: string, opts: { engine: EngineName; json?: boolean }) => {
      const summary = runConformanceDir(dir, conformanceEngine(opts.engine));
      if (opts.json) process.stdout.write(JSON.stringify({ engine: opts.engine, ...summary }) + '\n');
      else process.stdout.write(formatConformance(summary) + '\n');
      if (summary.failed > 0) process.exitCode = 1;
    });
}
