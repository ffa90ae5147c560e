import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  OPCODES, decodeInsns, encodeInsns, decodeProgram, InstructionError, lookupOpcode, ldImm64, imm64, validateProgram,
  type Format,
} from '../../src/isa/index.js';
import { parseHexBytes } from '../../src/internal/bytes.js';
import { conformanceNegative } from '../paths.js';

test('every row is reachable by lookup from its own fields', () => {
  for (const row of OPCODES) {
    const src = row.match?.field === 'src' ? row.match.value : 0;
    const off = row.match?.field === 'off' ? row.match.value : 0;
    const imm = row.match?.field === 'imm' ? row.match.value : 0;
    assert.equal(lookupOpcode(row.code, src, off, imm), row, `${row.mnemonic} ${row.format}`);
  }
});

test('no two rows claim the same encoding', () => {
  const seen = new Set<string>();
  for (const row of OPCODES) {
    const key = `${row.code}/${row.match?.field ?? '-'}/${row.match?.value ?? '-'}`;
    assert.ok(!seen.has(key), `duplicate ${key} (${row.mnemonic})`);
    seen.add(key);
  }
});

test('the table covers the ISA: classes, atomics, calls and lddw kinds', () => {
  const mnemonics = new Set(OPCODES.map((r) => r.mnemonic));
  for (const m of ['add', 'add32', 'sdiv', 'smod32', 'movsx3264', 'movsx832', 'bswap64', 'le16', 'be64', 'ja32',
    'jsle32', 'call', 'call local', 'call kfunc', 'callx', 'exit', 'ldxsw', 'ldxdw', 'stb', 'stxdw',
    'lock cmpxchg', 'lock fetch xor32', 'lock xchg32', 'ldabsw', 'ldindb', 'may_goto']) {
    assert.ok(mnemonics.has(m), m);
  }
  assert.equal(OPCODES.filter((r) => r.format === 'lddw').length, 7);
  assert.equal(OPCODES.filter((r) => r.format === 'atomic').length, 20);
});

test('decode and encode round-trip in both byte orders', () => {
  const prog = [
    { code: 0xb7, dst: 1, src: 0, off: 0, imm: -5 },
    { code: 0x7b, dst: 10, src: 1, off: -8, imm: 0 },
    ...ldImm64(2, 0x1122334455667788n),
    { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
  ];
  for (const order of ['le', 'be'] as const) {
    const bytes = encodeInsns(prog, order);
    assert.deepEqual(decodeInsns(bytes, order), prog);
  }
  assert.deepEqual([...encodeInsns(prog.slice(1, 2), 'le')], [0x7b, 0x1a, 0xf8, 0xff, 0, 0, 0, 0]);
  assert.deepEqual([...encodeInsns(prog.slice(1, 2), 'be')], [0x7b, 0xa1, 0xff, 0xf8, 0, 0, 0, 0]);
  assert.equal(imm64(prog[2], prog[3]), 0x1122334455667788n);
});

test('decodeProgram names the slot and the reason', () => {
  const bad = (insns: Parameters<typeof decodeProgram>[0], re: RegExp) => {
    assert.throws(() => decodeProgram(insns), (e: unknown) => e instanceof InstructionError && re.test(e.message));
  };
  bad([{ code: 0x8f, dst: 0, src: 0, off: 0, imm: 0 }], /insn 0: unknown opcode 0x8f/);
  bad([{ code: 0x07, dst: 12, src: 0, off: 0, imm: 0 }], /register r12/);
  bad([{ code: 0x3f, dst: 0, src: 1, off: 2, imm: 0 }], /reserved field off=2/);
  bad([{ code: 0xdb, dst: 1, src: 2, off: 0, imm: 0x10 }], /imm=16 is undefined/);
  bad([{ code: 0x18, dst: 1, src: 0, off: 0, imm: 0 }], /last slot/);
  bad([{ code: 0x18, dst: 1, src: 0, off: 0, imm: 0 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }], /insn 1: second slot of lddw/);
  assert.throws(() => decodeInsns(new Uint8Array(12)), /not a multiple of 8/);
});

/** What each format asks of the fields it does not use as its match (the table in table.ts, written out again as the test's oracle). */
const FIELD_RULES: Record<Format, Record<'dst' | 'src' | 'off' | 'imm', 'reg' | 'zero' | 'any'>> = {
  alu_reg: { dst: 'reg', src: 'reg', off: 'zero', imm: 'zero' }, alu_imm: { dst: 'reg', src: 'zero', off: 'zero', imm: 'any' },
  neg: { dst: 'reg', src: 'zero', off: 'zero', imm: 'zero' }, endian: { dst: 'reg', src: 'zero', off: 'zero', imm: 'any' },
  jmp_reg: { dst: 'reg', src: 'reg', off: 'any', imm: 'zero' }, jmp_imm: { dst: 'reg', src: 'zero', off: 'any', imm: 'any' },
  ja: { dst: 'zero', src: 'zero', off: 'any', imm: 'zero' }, ja32: { dst: 'zero', src: 'zero', off: 'zero', imm: 'any' },
  may_goto: { dst: 'zero', src: 'any', off: 'any', imm: 'zero' }, call_helper: { dst: 'zero', src: 'any', off: 'zero', imm: 'any' },
  call_local: { dst: 'zero', src: 'any', off: 'zero', imm: 'any' }, call_kfunc: { dst: 'zero', src: 'any', off: 'any', imm: 'any' },
  callx: { dst: 'reg', src: 'zero', off: 'zero', imm: 'zero' }, exit: { dst: 'zero', src: 'zero', off: 'zero', imm: 'zero' },
  lddw: { dst: 'reg', src: 'any', off: 'zero', imm: 'any' }, ldx: { dst: 'reg', src: 'reg', off: 'any', imm: 'zero' },
  st: { dst: 'reg', src: 'zero', off: 'any', imm: 'any' }, stx: { dst: 'reg', src: 'reg', off: 'any', imm: 'zero' },
  atomic: { dst: 'reg', src: 'reg', off: 'any', imm: 'any' }, ldabs: { dst: 'zero', src: 'zero', off: 'zero', imm: 'any' },
  ldind: { dst: 'zero', src: 'reg', off: 'zero', imm: 'any' },
};

test('decodeProgram takes an instruction exactly when lookupOpcode finds its row and every other field fits the row\'s format', () => {
  const exit = { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 };
  let taken = 0, refused = 0;
  for (const row of OPCODES) {
    const base = { code: row.code, dst: 0, src: 0, off: 0, imm: 0, ...(row.match ? { [row.match.field]: row.match.value } : {}) };
    for (const field of ['dst', 'src', 'off', 'imm'] as const) {
      for (const v of [0, 1, 8, 10, 11, 16, -1]) {
        const ins = { ...base, [field]: v };
        const prog = row.format === 'lddw' ? [ins, { ...exit, code: 0 }, exit] : [ins, exit];
        const target = lookupOpcode(ins.code, ins.src, ins.off, ins.imm);
        const fits = target !== undefined && (['dst', 'src', 'off', 'imm'] as const).every((f) => {
          const rule = target.match?.field === f ? 'any' : FIELD_RULES[target.format][f];
          return rule === 'any' || (rule === 'reg' ? ins[f] < 11 : ins[f] === 0);
        });
        const what = `${row.mnemonic} with ${field}=${v}`;
        if (fits) {
          assert.equal(decodeProgram(prog)[0], target, what);
          taken++;
        } else {
          assert.throws(() => decodeProgram(prog), (e: unknown) => e instanceof InstructionError && e.index === 0, what);
          refused++;
        }
      }
    }
  }
  assert.ok(taken > 500 && refused > 500);
});

test('every unused-field encoding of the negative conformance suite is rejected', () => {
  const files = readdirSync(conformanceNegative).filter((f) => f.startsWith('unused-'));
  assert.ok(files.length >= 40);
  for (const f of files) {
    const text = readFileSync(join(conformanceNegative, f), 'utf8');
    const raw = text.split('-- raw')[1].split('--')[0].replace(/#.*$/gm, '');
    const insns = decodeInsns(parseHexBytes(raw)!);
    assert.throws(() => decodeProgram(insns), InstructionError, f);
  }
});

test('validateProgram: control flow stays inside the program and ends with exit or a jump', () => {
  const exit = { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 };
  const ja = (off: number) => ({ code: 0x05, dst: 0, src: 0, off, imm: 0 });
  const bad = (insns: Parameters<typeof validateProgram>[0], re: RegExp) =>
    assert.throws(() => validateProgram(insns), (e: unknown) => e instanceof InstructionError && re.test(e.message));
  assert.equal(validateProgram([ja(0), exit]).length, 2);
  bad([], /insn 0: the program is empty/);
  bad([ja(5), exit], /insn 0: ja to 6 leaves the program \(instructions 0 to 1\)/);
  bad([ja(1), ...ldImm64(1, 7n), exit], /insn 0: ja to 2 lands in the middle of the lddw at 1/);
  bad([exit, { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }], /insn 1: mov is the last instruction: execution would fall off the end/);
  bad([exit, ...ldImm64(1, 7n)], /insn 1: lddw is the last instruction/);
});
