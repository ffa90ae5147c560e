/**
 * Malformed objects: every testdata object mutated — bit flips, truncations,
 * and field overwrites aimed at the ELF header, the section table, the
 * symbol table, relocations, .BTF and .BTF.ext — must give a LoadError (or
 * load), never another exception, never a crash; so must CO-RE relocation
 * of what loads (against the object's own BTF). EBPF_FUZZ_RUNS sets the
 * mutations per object (1000 by default, as issue 4 asks), EBPF_FUZZ_SEED
 * the seed (fixed by default, so a failure reproduces).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LoadError } from '../../src/internal/errors.js';
import { applyCoreRelocations, formatInspection, inspectCollection, loadCollectionSpec, parseElf } from '../../src/elf/index.js';
import { objectBytes, objectFiles } from './testdata.js';

const RUNS = Number(process.env.EBPF_FUZZ_RUNS ?? 1000);
const SEED = Number(process.env.EBPF_FUZZ_SEED ?? 0x5eed);
/** The 1 MB benchmark object takes longer per load: a tenth of the runs. */
const runsFor = (file: string): number => (file.startsWith('large') ? Math.max(10, Math.floor(RUNS / 10)) : RUNS);

interface Region { start: number; length: number }

/** Where the interesting bytes are: headers, tables and the sections the loader parses. */
function regions(bytes: Uint8Array): Region[] {
  const elf = parseElf(bytes);
  const out: Region[] = [{ start: 0, length: 64 }];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = elf.order === 'le';
  const shoff = Number(view.getBigUint64(40, le));
  out.push({ start: shoff, length: elf.sections.length * 64 });
  for (const s of elf.sections) {
    if (s.data.length && (s.type === 2 || s.type === 9 || s.name.startsWith('.BTF') || s.name === '.maps' || s.name === 'maps' || s.flags & 4)) {
      out.push({ start: s.offset, length: s.data.length });
      if (s.name === '.BTF' || s.name === '.BTF.ext') out.push({ start: s.offset, length: Math.min(32, s.data.length) });
    }
  }
  return out;
}

type Mutation =
  | { kind: 'flip'; region: number; pos: number; bit: number }
  | { kind: 'truncate'; pos: number }
  | { kind: 'write'; region: number; pos: number; width: 1 | 2 | 4 | 8; value: bigint };

const interesting = fc.constantFrom(0n, 1n, 2n, 7n, 8n, 0x18n, 0x40n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0xffffffffffffffffn);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), region: fc.nat(), pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), pos: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({
    kind: fc.constant('write' as const), region: fc.nat(), pos: fc.nat(),
    width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const), value: fc.oneof(interesting, fc.bigInt({ min: 0n, max: 0xffffffffn })),
  }) },
);

function apply(original: Uint8Array, rs: Region[], ms: Mutation[]): Uint8Array {
  let bytes = original.slice();
  for (const m of ms) {
    if (m.kind === 'truncate') {
      bytes = bytes.slice(0, m.pos % (bytes.length + 1));
      continue;
    }
    const r = rs[m.region % rs.length];
    const at = r.start + (m.pos % Math.max(1, r.length));
    if (m.kind === 'flip') {
      if (at < bytes.length) bytes[at] ^= 1 << m.bit;
    } else {
      for (let i = 0; i < m.width && at + i < bytes.length; i++) bytes[at + i] = Number((m.value >> BigInt(8 * i)) & 0xffn);
    }
  }
  return bytes;
}

/** Load, then relocate CO-RE against the object's own BTF and inspect: all must end in a spec or a LoadError. */
function check(bytes: Uint8Array): void {
  try {
    const spec = loadCollectionSpec(bytes);
    if (spec.btf) applyCoreRelocations(spec, spec.btf);
    formatInspection(inspectCollection(spec));
  } catch (e) {
    assert.ok(e instanceof LoadError, `not a LoadError: ${(e as Error)?.stack ?? e}`);
    assert.equal(e.code, 'ELOAD');
    assert.equal(typeof e.section, 'string');
    assert.ok(Number.isInteger(e.offset));
    assert.doesNotMatch(e.message, /internal error/, `a bug surfaced as a LoadError: ${e.message}\n${(e.cause as Error)?.stack}`);
  }
}

for (const file of objectFiles()) {
  test(`fuzz: mutated ${file} only ever gives LoadError (${runsFor(file)} mutations)`, () => {
    const original = objectBytes(file);
    const rs = regions(original);
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => check(apply(original, rs, ms))), {
      numRuns: runsFor(file),
      seed: SEED,
    });
  });
}

test('malformed objects give LoadErrors that name the section and offset', () => {
  const bytes = objectBytes('legacy.o');
  const elf = parseElf(bytes);
  const expectError = (mutate: (b: Uint8Array, v: DataView) => void, re: RegExp): void => {
    const b = bytes.slice();
    mutate(b, new DataView(b.buffer));
    assert.throws(() => loadCollectionSpec(b), (e: unknown) => e instanceof LoadError && re.test(e.message), String(re));
  };
  expectError((b) => b.fill(0, 0, 4), /section \(ELF header\), offset 0x0: not an ELF file/);
  expectError((_, v) => v.setUint16(18, 62, true), /offset 0x12: machine 62 is not EM_BPF/);
  const rel = elf.sections.find((s) => s.name === '.relsocket')!;
  expectError((_, v) => v.setUint32(rel.offset + 12, 99, true), /section \.relsocket, offset 0x8: symbol index 99 out of range \(\d+ symbols\)/);
  const socket = elf.sections.find((s) => s.name === 'socket')!;
  expectError((_, v) => v.setBigUint64(rel.offset, BigInt(socket.size + 8), true), /section socket, offset 0x[0-9a-f]+: relocation at a bad offset/);
  const btf = elf.sections.find((s) => s.name === '.BTF')!;
  expectError((_, v) => v.setUint32(btf.offset + 20, 0xffffff, true), /load BTF: section \.BTF, offset 0x[0-9a-f]+: BTF string section/);
  assert.throws(() => loadCollectionSpec(bytes.slice(0, 100)), /section \(section headers\), offset 0x[0-9a-f]+: section header 0 \(64 bytes\) runs past the end/);
  assert.throws(() => loadCollectionSpec(new Uint8Array(0)), LoadError);
});
