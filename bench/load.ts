/**
 * Load-time benchmark: testdata/obj/large.o.gz (a ~1 MB object with 56
 * programs, 48 BTF maps, globals and subprograms) through loadCollectionSpec
 * — ELF, BTF, .BTF.ext, maps, relocations, linking — against the issue's
 * budget of 100 ms; and the kernel's BTF (/sys/kernel/btf/vmlinux), the
 * largest BTF a CO-RE load parses.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { loadCollectionSpec } from '../src/elf/index.js';
import { parseBtf } from '../src/btf/index.js';

export interface BenchRow {
  name: string;
  /** Median over the timed runs. */
  value: number;
  unit: string;
  anchor: string;
  anchorValue: number;
  /** value / anchorValue: below 1 is within budget. */
  ratio: number;
}

const LOAD_BUDGET_MS = 100;
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function median(fn: () => void, runs: number, warmup = 3): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export async function benchLoad(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const large = new Uint8Array(gunzipSync(readFileSync(join(repoRoot, 'testdata', 'obj', 'large.o.gz'))));
  const ms = median(() => loadCollectionSpec(large), 15);
  rows.push({
    name: `load ${(large.length / 1e6).toFixed(2)} MB object (ELF+BTF+relocations)`, value: ms, unit: 'ms',
    anchor: 'budget', anchorValue: LOAD_BUDGET_MS, ratio: ms / LOAD_BUDGET_MS,
  });
  let vmlinux: Uint8Array | undefined;
  try {
    vmlinux = readFileSync('/sys/kernel/btf/vmlinux');
  } catch {
    vmlinux = undefined;
  }
  if (vmlinux) {
    const bytes = vmlinux;
    const vms = median(() => parseBtf(bytes, 'vmlinux'), 5, 1);
    rows.push({
      name: `parse vmlinux BTF (${(bytes.length / 1e6).toFixed(1)} MB)`, value: vms, unit: 'ms',
      anchor: 'budget', anchorValue: LOAD_BUDGET_MS * 5, ratio: vms / (LOAD_BUDGET_MS * 5),
    });
  }
  return rows;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const r of await benchLoad()) {
    console.log(`${r.name}: ${r.value.toFixed(1)} ${r.unit} (${r.ratio.toFixed(2)}x of the ${r.anchorValue} ${r.unit} ${r.anchor})`);
  }
}
