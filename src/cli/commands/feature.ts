import { Command } from 'commander';
import { formatFeatures, openKernel, probeFeatures } from '../../kernel/index.js';

/** `ebpf feature probe`: what the running kernel offers, as `bpftool feature probe` shows it. */
export function featureCommand(): Command {
  const feature = new Command('feature').description('what the running kernel offers for eBPF');
  feature.addCommand(new Command('probe')
    .description('probe program types, map types, helpers per program type and ISA extensions')
    .option('--json', 'print the probe as JSON')
    .option('--no-helpers', 'skip the helper scan (the slow part)')
    .action((opts: { json?: boolean; helpers: boolean }) => {
      const probe = probeFeatures(openKernel(), { helpers: opts.helpers });
      process.stdout.write(opts.json ? JSON.stringify(probe) + '\n' : formatFeatures(probe) + '\n');
    }).exitOverride());
  return feature;
}
