import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BPF_DW, OPCODES, insn, type Insn, type Opcode } from '../../src/isa/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { Vm } from '../../src/vm/index.js';
import { modelAlu } from './model.js';
import { exit, lddw, stx } from './util.js';

const ALU_ROWS = OPCODES.filter((r) => ['alu_reg', 'alu_imm', 'neg', 'endian'].includes(r.format));
const REGS = 10;

/** Values that sit on the edges of the 32/64-bit arithmetic, mixed with uniform ones. */
const value64 = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.constantFrom(0n, 1n, 2n, 0xffffffffn, 0x80000000n, 0x7fffffffn, 0x1_0000_0000n, 0x8000_0000_0000_0000n,
    0x7fff_ffff_ffff_ffffn, 0xffff_ffff_ffff_ffffn, 0xffff_ffff_8000_0000n, 63n, 64n, 32n),
  fc.integer({ min: -300, max: 300 }).map((v) => BigInt.asUintN(64, BigInt(v))),
);
const imm32 = fc.oneof(
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.constantFrom(0, 1, -1, 31, 32, 33, 63, 64, 65, 0x7fffffff, -0x80000000),
  fc.integer({ min: -100, max: 100 }),
);

function instance(row: Opcode, dst: number, src: number, imm: number): Insn {
  const off = row.match?.field === 'off' ? row.match.value : 0;
  switch (row.format) {
    case 'alu_reg': return insn(row.code, dst, src, off, 0);
    case 'alu_imm': return insn(row.code, dst, 0, off, imm);
    case 'neg': return insn(row.code, dst);
    default: return insn(row.code, dst, 0, 0, row.match!.value);
  }
}

const step = fc.record({
  row: fc.constantFrom(...ALU_ROWS),
  dst: fc.integer({ min: 0, max: REGS - 1 }),
  src: fc.integer({ min: 0, max: REGS - 1 }),
  imm: imm32,
});

test('random straight-line ALU programs agree with the BigInt model', () => {
  const space = new AddressSpace();
  const vm = new Vm(space);
  fc.assert(
    fc.property(fc.array(value64, { minLength: REGS, maxLength: REGS }), fc.array(step, { minLength: 1, maxLength: 30 }), (init, steps) => {
      const body = steps.map((st) => ({ row: st.row, ins: instance(st.row, st.dst, st.src, st.imm) }));
      const expected = [...init];
      for (const { row, ins } of body) expected[ins.dst] = modelAlu(expected, row, ins);
      const program = [
        ...init.flatMap((v, r) => lddw(r, v)),
        ...body.map((b) => b.ins),
        ...expected.map((_, r) => stx(BPF_DW, 10, r, -8 * (r + 1))),
        exit(),
      ];
      vm.load(program).run();
      const view = new DataView(space.memory.buffer);
      const top = vm.frameStart(0) + 512;
      const got = expected.map((_, r) => view.getBigUint64(top - 8 * (r + 1), true));
      assert.deepEqual(got, expected);
    }),
    { numRuns: 2000 },
  );
});
