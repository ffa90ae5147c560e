import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AsmError, assemble, disassemble, type DisasmOptions } from '../../src/asm/index.js';
import { parseConformanceData } from '../../src/cli/conformance-data.js';
import { encodeInsns, type Insn } from '../../src/isa/index.js';
import { toHex } from '../../src/internal/bytes.js';
import { helperIdByName, helperName } from '../../src/platform/helper-ids.js';
import { conformanceNegative, conformanceTests } from '../paths.js';

const hex = (insns: readonly Insn[]): string => toHex(encodeInsns(insns));
const words = (insns: readonly Insn[]): bigint[] => {
  const view = new DataView(encodeInsns(insns).buffer);
  return insns.map((_, i) => view.getBigUint64(i * 8, true));
};

const files = readdirSync(conformanceTests).filter((f) => f.endsWith('.data')).sort();

const formats: Array<[string, DisasmOptions]> = [
  ['kernel', { format: 'kernel', helperName }],
  ['kernel with indexes', { format: 'kernel', indexes: true, helperName }],
  ['llvm', { format: 'llvm' }],
  ['ubpf', { format: 'ubpf' }],
];

test('the conformance corpus is there', () => {
  assert.ok(files.length >= 300, `${files.length} test files`);
});

test('every conformance program assembles, to the raw words where the file gives them', () => {
  let withRaw = 0;
  for (const f of files) {
    const data = parseConformanceData(readFileSync(join(conformanceTests, f), 'utf8'));
    assert.ok(data.asm, `${f} has an asm section`);
    const insns = assemble(data.asm.text, { file: f });
    assert.ok(insns.length > 0, f);
    if (data.raw) {
      withRaw++;
      assert.deepEqual(words(insns), data.raw, f);
    }
  }
  assert.ok(withRaw >= 1);
});

for (const [name, options] of formats) {
  test(`every conformance program survives disassembly (${name}) and assembly again`, () => {
    for (const f of files) {
      const data = parseConformanceData(readFileSync(join(conformanceTests, f), 'utf8'));
      const insns = assemble(data.asm!.text, { file: f });
      const text = disassemble(insns, options);
      assert.equal(hex(assemble(text, { file: `${f} (${name})`, helperId: helperIdByName })), hex(insns), `${f}\n${text}`);
    }
  });
}

/** The negative files with bad assembly, and what the error must say. */
const negatives: Record<string, RegExp> = {
  'invalid_imm32_dec_range.data': /immediate 2147483648 does not fit in 32 bits/,
  'invalid_imm32_hex_range.data': /immediate 0x100000000 does not fit in 32 bits/,
  'invalid_label.data': /unknown label 'NOT_A_LABEL'/,
  'invalid_lock.data': /Invalid number of operands for lock/,
  'invalid_lock2.data': /Invalid number of operands for lock/,
  'invalid_mnemonic.data': /unknown mnemonic 'ldxq'/,
  'invalid_offset.data': /expected a memory operand like \[%r1\+2\], got '%r1'/,
  'invalid_offset_range.data': /offset 0x10000 does not fit in 16 bits/,
  'invalid_operand_count.data': /lddw takes 2 operands, got 1/,
  'invalid_register.data': /Invalid register: expected a register like %r1, got '%r50'/,
};

test('every negative file with bad assembly is rejected with its line, column and reason', () => {
  const present = readdirSync(conformanceNegative).filter((f) => f.startsWith('invalid_') && f in negatives);
  assert.equal(present.length, Object.keys(negatives).length);
  for (const [f, reason] of Object.entries(negatives)) {
    const data = parseConformanceData(readFileSync(join(conformanceNegative, f), 'utf8'));
    // Each file's first instruction is the bad one.
    const firstInsnLine = data.asm!.text.split('\n').findIndex((l) => l.trim() && !l.trim().startsWith('#')) + 1;
    assert.throws(() => assemble(data.asm!.text, { file: f }), (err: unknown) => {
      assert.ok(err instanceof AsmError, `${f}: ${String(err)}`);
      assert.match(err.message, reason, f);
      assert.equal(err.line, firstInsnLine, f);
      assert.ok(err.column >= 1, f);
      assert.equal(err.file, f);
      return true;
    });
    // Where the suite names the error, our message contains it.
    if (data.error) assert.ok(thrownMessage(() => assemble(data.asm!.text)).includes(data.error), f);
  }
});

function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail('expected an error');
}
