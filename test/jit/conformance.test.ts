/**
 * The BPF conformance suite on the JIT, with the interpreter's contract
 * (the mem section as a region, r1 = its address, r2 = its length): every
 * program in tests/ gives its expected r0 (or fails when it expects an
 * error); every raw program in negative/ is rejected when loaded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { conformanceProgram } from '../../src/cli/conformance.js';
import { parseConformanceData, rawWordsToBytes } from '../../src/cli/conformance-data.js';
import { EbpfError } from '../../src/internal/errors.js';
import { decodeInsns, InstructionError } from '../../src/isa/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { Jit } from '../../src/jit/index.js';
import { conformanceNegative, conformanceTests } from '../paths.js';

const dataFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.data')).sort();

for (const shared of [false, true]) {
  test(`conformance tests/: every program gives its expected r0 on the JIT (${shared ? 'shared' : 'unshared'} memory)`, () => {
    const files = dataFiles(conformanceTests);
    assert.equal(files.length, 313);
    const space = new AddressSpace({ shared });
    const jit = new Jit(space);
    const failures: string[] = [];
    let passed = 0;
    for (const file of files) {
      const c = conformanceProgram(file, readFileSync(join(conformanceTests, file), 'utf8'));
      const mem = c.mem && c.mem.length > 0 ? space.alloc(file, c.mem.length, 'data') : undefined;
      try {
        if (mem) space.write(mem.start, c.mem!);
        const result = jit.load(c.insns).run({ r1: BigInt(mem?.start ?? 0), r2: BigInt(mem?.size ?? 0) });
        if (c.error !== undefined) failures.push(`${file}: ran to r0=0x${result.r0.toString(16)}, expected an error`);
        else if (result.r0 !== c.result) failures.push(`${file}: r0=0x${result.r0.toString(16)}, expected 0x${c.result!.toString(16)}`);
        else passed++;
      } catch (e) {
        if (c.error === undefined || !(e instanceof EbpfError)) failures.push(`${file}: ${e instanceof Error ? e.message : String(e)}`);
        else passed++;
      } finally {
        if (mem) space.release(mem);
      }
    }
    assert.deepEqual(failures, []);
    assert.equal(passed, 313);
  });
}

test('conformance negative/: every raw program is rejected when loaded', () => {
  const jit = new Jit(new AddressSpace());
  let raw = 0;
  for (const file of dataFiles(conformanceNegative)) {
    const text = readFileSync(join(conformanceNegative, file), 'utf8');
    if (!/^-- raw/m.test(text)) continue;
    const c = parseConformanceData(text);
    raw++;
    assert.throws(() => jit.load(decodeInsns(rawWordsToBytes(c.raw!))), (e: unknown) => e instanceof InstructionError, file);
  }
  assert.ok(raw >= 40, `only ${raw} raw negative files`);
});
