/**
 * The annotated verifier corpus: test/verifier/corpus/*.s, kernel/LLVM
 * assembly with a header of `;` comments:
 *
 *   ; prog: xdp                      program type (default socket_filter)
 *   ; maps: hash 4 8 16, ringbuf 0 0 4096   type key value entries, referenced as
 *                                    `ld_pseudo rN, 5, <index>` (BPF_PSEUDO_MAP_IDX)
 *   ; license: GPL                   (default GPL)
 *   ; result: accept | reject        the kernel's verdict
 *   ; error: <line>                  the kernel's message, one line each
 *   ; log: exact                     our level-2 log equals the kernel's
 *   ; processed: <n>                 the kernel's count of processed instructions, which
 *                                    ours equals (as much pruning: precision as exact)
 *   ; known: <why>                   our message differs from the kernel's for this
 *                                    reason: only the verdict is compared
 *   ; slow: yes                      runs to the 1,000,000-instruction limit: checked
 *                                    (ours and kernel) only with EBPF_VERIFIER_SLOW=1
 *
 * `result` and `error` are the kernel's: `node dist/test/verifier/update-corpus.js`
 * rewrites them from the running kernel.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../src/asm/index.js';
import type { Insn } from '../../src/isa/index.js';
import { helperIdByName } from '../../src/platform/helper-ids.js';
import { programType } from '../../src/platform/index.js';
import { createMap, verifyOnKernel, type Kernel, type KernelVerdict } from '../../src/kernel/index.js';
import type { MapDescriptor } from '../../src/verifier/index.js';
import { repoRoot } from '../paths.js';

export const corpusDir = join(repoRoot, 'test', 'verifier', 'corpus');

export interface CorpusCase {
  file: string;
  name: string;
  text: string;
  insns: Insn[];
  prog: string;
  maps: MapDescriptor[];
  license: string;
  result?: 'accept' | 'reject';
  error: string[];
  exactLog: boolean;
  /** The kernel's processed-instruction count, when the case pins it. */
  processed?: number;
  slow: boolean;
  known?: string;
}

function header(text: string, key: string): string[] {
  const re = new RegExp(`^;\\s*${key}:\\s?(.*)$`);
  return text.split('\n').map((l) => re.exec(l)?.[1]).filter((v): v is string => v !== undefined);
}

export function parseCase(file: string): CorpusCase {
  const text = readFileSync(join(corpusDir, file), 'utf8');
  const maps = (header(text, 'maps')[0] ?? '').split(',').map((m) => m.trim()).filter(Boolean).map((m): MapDescriptor => {
    const [type, k, v, n] = m.split(/\s+/);
    return { type, keySize: Number(k), valueSize: Number(v), maxEntries: Number(n) };
  });
  const result = header(text, 'result')[0]?.trim();
  return {
    file,
    name: file.replace(/\.s$/, ''),
    text,
    insns: assemble(text, { file, helperId: helperIdByName }),
    prog: header(text, 'prog')[0]?.trim() ?? 'socket_filter',
    maps,
    license: header(text, 'license')[0]?.trim() ?? 'GPL',
    result: result === 'accept' || result === 'reject' ? result : undefined,
    error: header(text, 'error'),
    exactLog: header(text, 'log')[0]?.trim() === 'exact',
    processed: header(text, 'processed').map(Number)[0],
    slow: header(text, 'slow')[0]?.trim() === 'yes',
    known: header(text, 'known')[0]?.trim(),
  };
}

export function corpusFiles(): string[] {
  return readdirSync(corpusDir).filter((f) => f.endsWith('.s')).sort();
}

/** The kernel's verdict on a case: its maps are created for the load and closed after. */
export function kernelVerdict(kernel: Kernel, c: CorpusCase, logLevel = 1): KernelVerdict {
  const maps = c.maps.map((m) => createMap(kernel, { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries }));
  try {
    // A type that must name its one attach type (sk_lookup) is loaded with it, as libbpf does from the section.
    const spec = programType(c.prog);
    const expectedAttachType = spec.attachTypeRequired && spec.attachTypes.length === 1 ? spec.attachTypes[0] : undefined;
    return verifyOnKernel(kernel, c.insns, { type: c.prog, license: c.license, logLevel, fdArray: maps.map((m) => m.fd.value), expectedAttachType });
  } finally {
    for (const m of maps) m.close();
  }
}

/**
 * The log with the addresses of 64-bit map loads masked: the kernel prints where the map is in its
 * memory, different on every load, and ours an address of our own in the same range (x86-64's direct
 * map or vmalloc area).
 */
export function comparableLog(log: string): string {
  return log.replace(/(\(18\) r\d+ = )0xffff[89a-c][0-9a-f]{11}\b/g, '$10xffff<addr>');
}

/**
 * This machine's `nr_cpu_ids` (the highest possible CPU + 1), which bounds the kernel's
 * bpf_get_smp_processor_id; undefined where Linux's sysfs is not there.
 */
export function hostNrCpuIds(): number | undefined {
  try {
    const possible = readFileSync('/sys/devices/system/cpu/possible', 'utf8');
    return Math.max(...possible.trim().split(/[,-]/).map(Number)) + 1;
  } catch {
    return undefined;
  }
}

/** The `processed N insns` count of a level 1 or 2 log. */
export function processedInsns(log: string): number | undefined {
  const m = /^processed (\d+) insns/m.exec(log);
  return m ? Number(m[1]) : undefined;
}

/** The last two lines of a message: what a kernel rejection's summary keeps. */
export function lastLines(message: string): string {
  return message.split('\n').slice(-2).join('\n');
}
