import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPCODES, insn, type Insn, type Opcode } from '../../src/isa/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { Vm } from '../../src/vm/index.js';
import { DISPATCH } from '../../src/vm/prepare.js';
import { exit, lddw, mov } from './util.js';

/** One instance of the row, with operands that keep it inside the program and the data region held in r1. */
function instance(row: Opcode): Insn[] {
  const m = row.match;
  const pick = (field: 'src' | 'off' | 'imm', otherwise: number) => (m?.field === field ? m.value : otherwise);
  switch (row.format) {
    case 'alu_reg': return [insn(row.code, 3, 4, pick('off', 0), 0)];
    case 'alu_imm': return [insn(row.code, 3, 0, pick('off', 0), 7)];
    case 'neg': return [insn(row.code, 3)];
    case 'endian': return [insn(row.code, 3, 0, 0, pick('imm', 0))];
    case 'jmp_reg': return [insn(row.code, 3, 4, 0, 0)];
    case 'jmp_imm': return [insn(row.code, 3, 0, 0, 5)];
    case 'ja': case 'may_goto': return [insn(row.code, 0, pick('src', 0), 0, 0)];
    case 'ja32': return [insn(row.code, 0, 0, 0, 0)];
    case 'call_helper': return [insn(row.code, 0, pick('src', 0), 0, 5)];
    case 'callx': return [mov(5, 5), insn(row.code, 5)];
    case 'call_local': return [insn(row.code, 0, pick('src', 0), 0, 1), exit(), mov(0, 0)];
    case 'exit': return [];
    case 'lddw': { const [lo, hi] = lddw(3, 0x1122334455667788n, pick('src', 0)); return [lo, hi]; }
    case 'ldx': return [insn(row.code, 3, 1, 8, 0)];
    case 'st': return [insn(row.code, 1, 0, 8, 9)];
    case 'stx': return [insn(row.code, 1, 4, 8, 0)];
    case 'atomic': return [mov(0, 0), insn(row.code, 1, 4, 8, pick('imm', 0))];
    case 'ldabs': return [insn(row.code, 0, 0, 0, 4)];
    case 'ldind': return [mov(2, 1), insn(row.code, 0, 2, 0, 3)];
    case 'call_kfunc': return [];
  }
}

test('every row of the opcode table runs on the interpreter (kfunc calls are refused when prepared)', () => {
  const space = new AddressSpace();
  const data = space.alloc('data', 64, 'data');
  const vm = new Vm(space);
  const packet = { data: data.start, dataEnd: data.start + data.size };
  let ran = 0;
  for (const row of OPCODES) {
    if (row.format === 'call_kfunc') {
      assert.throws(() => vm.load([insn(row.code, 0, row.match!.value, 0, 1), exit()]), /kernel functions exist only in the kernel/);
      continue;
    }
    const program = [mov(3, 100), mov(4, 3), ...instance(row), exit()];
    assert.doesNotThrow(() => vm.load(program).run({ r1: BigInt(data.start), packet }), `${row.mnemonic} (${row.format})`);
    ran++;
  }
  assert.equal(ran, OPCODES.length - 1);
});

test('the dispatch codes of the variant rows are opcode bytes no row uses, below 0x100', () => {
  const used = new Set(OPCODES.map((r) => r.code));
  const codes = Object.values(DISPATCH);
  assert.equal(new Set(codes).size, codes.length);
  for (const code of codes) {
    assert.ok(code < 0x100 && !used.has(code), `0x${code.toString(16)}`);
  }
});
