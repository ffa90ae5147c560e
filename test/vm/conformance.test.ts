/**
 * The BPF conformance suite on the interpreter, in both modes: every program
 * in tests/ gives its expected r0; every raw program in negative/ is
 * rejected when it is prepared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../src/asm/index.js';
import { parseConformanceData, rawWordsToBytes } from '../../src/cli/conformance-data.js';
import { EbpfError } from '../../src/internal/errors.js';
import { decodeInsns, InstructionError, type Insn } from '../../src/isa/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { Vm } from '../../src/vm/index.js';
import { conformanceNegative, conformanceTests } from '../paths.js';

const dataFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.data')).sort();

function programOf(c: ReturnType<typeof parseConformanceData>, file: string): Insn[] {
  if (c.raw) return decodeInsns(rawWordsToBytes(c.raw));
  return assemble(c.asm!.text, { file });
}

for (const checked of [true, false]) {
  test(`conformance tests/: every program gives its expected r0 (${checked ? 'checked' : 'unchecked'} mode)`, () => {
    const files = dataFiles(conformanceTests);
    assert.ok(files.length > 300, `found only ${files.length} files`);
    const space = new AddressSpace();
    const vm = new Vm(space, { checked });
    const failures: string[] = [];
    for (const file of files) {
      const c = parseConformanceData(readFileSync(join(conformanceTests, file), 'utf8'));
      const mem = c.mem && c.mem.length > 0 ? space.alloc(file, c.mem.length, 'data') : undefined;
      try {
        if (mem) space.write(mem.start, c.mem!);
        const result = vm.load(programOf(c, file)).run({ r1: BigInt(mem?.start ?? 0), r2: BigInt(mem?.size ?? 0) });
        if (c.error !== undefined) failures.push(`${file}: ran to r0=0x${result.r0.toString(16)}, expected an error`);
        else if (result.r0 !== c.result) failures.push(`${file}: r0=0x${result.r0.toString(16)}, expected 0x${c.result!.toString(16)}`);
      } catch (e) {
        if (c.error === undefined || !(e instanceof EbpfError)) failures.push(`${file}: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        if (mem) space.release(mem);
      }
    }
    assert.deepEqual(failures, []);
  });
}

test('conformance negative/: every raw program is rejected when prepared', () => {
  const vm = new Vm(new AddressSpace());
  let raw = 0;
  for (const file of dataFiles(conformanceNegative)) {
    const text = readFileSync(join(conformanceNegative, file), 'utf8');
    if (!/^-- raw/m.test(text)) continue;
    const c = parseConformanceData(text);
    raw++;
    assert.throws(() => vm.load(decodeInsns(rawWordsToBytes(c.raw!))), (e: unknown) => e instanceof InstructionError, file);
  }
  assert.ok(raw >= 40, `only ${raw} raw negative files`);
});
