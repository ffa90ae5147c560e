/**
 * `npm run bench`: run every suite, print each figure next to its anchor as
 * a ratio, and write bench/results/<suite>.json. A new benchmark (the JIT,
 * the kernel) adds a Suite to SUITES.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { interpSuite } from './interp.js';
import type { Suite } from './suite.js';

const SUITES: readonly Suite[] = [interpSuite];

const resultsDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  mkdirSync(resultsDir, { recursive: true });
  for (const suite of SUITES) {
    if (only.length > 0 && !only.includes(suite.name)) continue;
    const { rows } = await suite.run();
    console.log(`\n${suite.title}`);
    const width = Math.max(...rows.map((r) => r.name.length));
    for (const r of rows) {
      const ratio = r.mips / r.anchor.mips;
      console.log(`  ${r.name.padEnd(width)}  ${r.mips.toFixed(1).padStart(7)} M insns/s   ${ratio.toFixed(2)}x ${r.anchor.name} (${r.anchor.mips} M insns/s)`);
    }
    const anchors = [...new Map(rows.map((r) => [r.anchor.name, r.anchor])).values()];
    for (const a of anchors) console.log(`  anchor ${a.name}: ${a.source}`);
    const file = `${resultsDir}${suite.name}.json`;
    writeFileSync(file, JSON.stringify({
      suite: suite.name,
      date: new Date().toISOString(),
      node: process.version,
      rows: rows.map((r) => ({ ...r, ratio: r.mips / r.anchor.mips })),
    }, null, 2) + '\n');
    console.log(`  wrote ${file}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
