/**
 * `npm run bench [suite…]`: run every suite (or the ones named), print each
 * figure next to its anchor as a ratio, and write bench/results/<suite>.json.
 * A new benchmark (the JIT, the kernel) adds a Suite to SUITES.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { browserSuite } from './browser.js';
import { interpSuite } from './interp.js';
import { jitSuite } from './jit.js';
import { benchLoad } from './load.js';
import { verifierSuite } from './verifier.js';
import type { BenchRow, Suite } from './suite.js';

const loadSuite: Suite = {
  name: 'load',
  title: 'Loading (src/elf, src/btf): median milliseconds against the budget',
  async run(): Promise<BenchRow[]> {
    return (await benchLoad()).map((r) => ({
      name: r.name,
      value: r.value,
      unit: r.unit,
      better: 'lower',
      anchor: { name: r.anchor, value: r.anchorValue, source: 'the loader\'s time budget' },
    }));
  },
};

const SUITES: readonly Suite[] = [interpSuite, loadSuite, jitSuite, verifierSuite, browserSuite];

const resultsDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));

function print(suite: Suite, rows: readonly BenchRow[]): void {
  console.log(`\n${suite.title}`);
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const figure = `${r.value.toFixed(1)} ${r.unit}`;
    const ratio = (r.value / r.anchor.value).toFixed(2);
    console.log(`  ${r.name.padEnd(width)}  ${figure.padStart(16)}   ${ratio}x ${r.anchor.name} (${Number(r.anchor.value.toPrecision(6))} ${r.unit}; ${r.better} is better)`);
  }
  const anchors = new Map(rows.map((r) => [r.anchor.name, r.anchor]));
  for (const a of anchors.values()) console.log(`  anchor ${a.name}: ${a.source}`);
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((n) => !SUITES.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`no suite named ${unknown.join(', ')}; suites: ${SUITES.map((s) => s.name).join(', ')}`);
  mkdirSync(resultsDir, { recursive: true });
  for (const suite of SUITES) {
    if (only.length > 0 && !only.includes(suite.name)) continue;
    const rows = await suite.run();
    print(suite, rows);
    const file = `${resultsDir}${suite.name}.json`;
    const json = {
      suite: suite.name,
      date: new Date().toISOString(),
      node: process.version,
      rows: rows.map((r) => ({ ...r, ratio: r.value / r.anchor.value })),
    };
    writeFileSync(file, JSON.stringify(json, null, 2) + '\n');
    console.log(`  wrote ${file}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
