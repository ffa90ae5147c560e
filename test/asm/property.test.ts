import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assemble, disassemble, type DisasmOptions } from '../../src/asm/index.js';
import { OPCODES, decodeProgram, encodeInsns, type Format, type Insn, type Opcode } from '../../src/isa/index.js';
import { toHex } from '../../src/internal/bytes.js';
import { helperIdByName, helperName } from '../../src/platform/helper-ids.js';

const reg = fc.integer({ min: 0, max: 10 });
const s16 = fc.integer({ min: -32768, max: 32767 });
const s32 = fc.integer({ min: -2147483648, max: 2147483647 });
const zero = fc.constant(0);

type Field = 'dst' | 'src' | 'off' | 'imm';

/** The fields each format carries as operands (the table's format legend); the rest are zero or the row's match. */
const OPERAND_FIELDS: Record<Format, Partial<Record<Field, fc.Arbitrary<number>>>> = {
  alu_reg: { dst: reg, src: reg }, alu_imm: { dst: reg, imm: s32 }, neg: { dst: reg }, endian: { dst: reg },
  jmp_reg: { dst: reg, src: reg, off: s16 }, jmp_imm: { dst: reg, off: s16, imm: s32 }, ja: { off: s16 },
  ja32: { imm: s32 }, may_goto: { off: s16 }, call_helper: { imm: s32 }, call_local: { imm: s32 },
  call_kfunc: { imm: s32, off: s16 }, callx: { dst: reg }, exit: {}, lddw: { dst: reg, imm: s32 },
  ldx: { dst: reg, src: reg, off: s16 }, st: { dst: reg, off: s16, imm: s32 }, stx: { dst: reg, src: reg, off: s16 },
  atomic: { dst: reg, src: reg, off: s16 }, ldabs: { imm: s32 }, ldind: { src: reg, imm: s32 },
};

/**
 * A random valid instruction of `row` (two slots for lddw). `kfuncOff`: give
 * kfunc calls a BTF fd index; only the ubpf format prints it, since neither
 * the kernel's log nor LLVM shows it.
 */
function instruction(row: Opcode, kfuncOff: boolean): fc.Arbitrary<Insn[]> {
  const fields = { ...OPERAND_FIELDS[row.format] };
  if (row.format === 'call_kfunc' && !kfuncOff) fields.off = zero;
  const pick = (f: Field) => (row.match?.field === f ? fc.constant(row.match.value) : fields[f] ?? zero);
  return fc.record({ dst: pick('dst'), src: pick('src'), off: pick('off'), imm: pick('imm'), hi: s32 }).map(({ hi, ...f }) => {
    const first: Insn = { code: row.code, ...f };
    return row.format === 'lddw' ? [first, { code: 0, dst: 0, src: 0, off: 0, imm: hi }] : [first];
  });
}

const formats: Array<[string, DisasmOptions, boolean]> = [
  ['kernel', { format: 'kernel' }, false],
  ['kernel with indexes and helper names', { format: 'kernel', indexes: true, helperName }, false],
  ['llvm', { format: 'llvm' }, false],
  ['ubpf', { format: 'ubpf' }, true],
];

function roundTrip(insns: Insn[], options: DisasmOptions): void {
  decodeProgram(insns);
  const text = disassemble(insns, options);
  const again = assemble(text, { helperId: helperIdByName });
  assert.equal(toHex(encodeInsns(again)), toHex(encodeInsns(insns)), text);
}

for (const [name, options, kfuncOff] of formats) {
  test(`every row of the ISA table: format (${name}) → assemble → encode is the identity`, () => {
    for (const row of OPCODES) {
      fc.assert(fc.property(instruction(row, kfuncOff), (insns) => roundTrip(insns, options)), { numRuns: 20 });
    }
  });

  test(`random programs mixing every row: format (${name}) → assemble → encode is the identity`, () => {
    const anyInsn = fc.constantFrom(...OPCODES).chain((row) => instruction(row, kfuncOff));
    const program = fc.array(anyInsn, { minLength: 1, maxLength: 12 }).map((list) => list.flat());
    fc.assert(fc.property(program, (insns) => roundTrip(insns, options)), { numRuns: 150 });
  });
}
