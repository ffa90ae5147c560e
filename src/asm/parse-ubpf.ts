/**
 * The uBPF / conformance-suite syntax: a mnemonic from the ISA table, then
 * comma-separated operands.
 *
 *   mov %r0, 1            add32 %r0, -3          neg %r0        be16 %r0
 *   ldxb %r0, [%r1+2]     stxdw [%r10-8], %r1    stw [%r1+4], 5
 *   lddw %r0, 0x1122334455667788                 lddw %r1, 4, 1 (pseudo source 1)
 *   jeq %r1, 0, +2        jne %r0, %r1, label    ja label       ja32 label
 *   call 5                call local func1       call %r2       exit
 *   lock fetch add32 [%r10-4], %r1               ldabsw 0x10    ldindb %r1, 0x10
 */
import type { Format, Opcode } from '../isa/index.js';
import type { Cursor } from './cursor.js';
import { callxRegister, insnOf, parseCallOperands, type ParsedInsn } from './parsed.js';
import { canonicalMnemonic, rowsNamed } from './syntax.js';

/** Operand count of each format (lddw may add a pseudo source, kfunc calls an fd index). */
const OPERANDS: Record<Format, number> = {
  alu_reg: 2, alu_imm: 2, neg: 1, endian: 1, jmp_reg: 3, jmp_imm: 3, ja: 1, ja32: 1, may_goto: 1,
  call_helper: 1, call_local: 1, call_kfunc: 1, callx: 1, exit: 0, lddw: 2, ldx: 2, st: 2, stx: 2,
  atomic: 2, ldabs: 1, ldind: 2,
};
const OPTIONAL_OPERAND: Partial<Record<Format, true>> = { lddw: true, call_kfunc: true };

/** Count the comma-separated operands after the mnemonic. */
function operandCount(c: Cursor, from: number): number {
  const rest = c.tokens.slice(from);
  if (rest.length === 0) return 0;
  return 1 + rest.filter((t) => t.kind === 'punct' && t.text === ',').length;
}

/** Longest run of leading words that names rows of the table (`lock fetch add32` before `lock`). */
function matchMnemonic(c: Cursor): { mnemonic: string; rows: readonly Opcode[]; words: number } | undefined {
  for (let words = 3; words >= 1; words--) {
    const toks = c.tokens.slice(0, words);
    if (toks.length < words || toks.some((t) => t.kind !== 'ident')) continue;
    const mnemonic = canonicalMnemonic(toks.map((t) => t.text).join(' '));
    const rows = rowsNamed(mnemonic);
    if (rows.length) return { mnemonic, rows, words };
  }
  return undefined;
}

export function parseUbpf(c: Cursor): ParsedInsn {
  const first = c.peek()!;
  if (first.kind !== 'ident') throw c.error(`expected a mnemonic, got ${c.found()}`);
  const match = matchMnemonic(c);
  if (!match) {
    if (first.text === 'lock') {
      const op = c.peek(1)?.text === 'fetch' ? c.peek(2) : c.peek(1);
      if (!op) {
        throw c.error('Invalid number of operands for lock: expected lock [fetch] <add|or|and|xor|xchg|cmpxchg>[32] [%rN+off], %rM', first.column);
      }
      throw c.error(`unknown atomic operation '${op.text}' after 'lock'`, op.column);
    }
    throw c.error(`unknown mnemonic '${first.text}'`, first.column);
  }
  for (let i = 0; i < match.words; i++) c.next();
  const { mnemonic, rows } = match;
  const format = rows[0].format;
  const count = operandCount(c, match.words);
  const want = OPERANDS[format];
  if (count !== want && !(OPTIONAL_OPERAND[format] && count === want + 1)) {
    const takes = OPTIONAL_OPERAND[format] && count > want ? `${want} or ${want + 1}` : `${want}`;
    const operands = `${takes} operand${takes === '1' ? '' : 's'}, got ${count}`;
    throw c.error(mnemonic.startsWith('lock ')
      ? `Invalid number of operands for ${mnemonic}: it takes ${operands}`
      : `${mnemonic} takes ${operands}`, first.column);
  }
  const p = parseOperands(c, mnemonic, rows);
  c.expectEnd(`the operands of ${mnemonic}`);
  return p;
}

function parseOperands(c: Cursor, mnemonic: string, rows: readonly Opcode[]): ParsedInsn {
  const row = rows[0];
  switch (row.format) {
    case 'alu_reg': case 'alu_imm': {
      const dst = c.register('ubpf').reg;
      c.expect(',');
      const reg = c.isRegister('ubpf');
      const chosen = rows.find((r) => r.format === (reg ? 'alu_reg' : 'alu_imm'));
      if (!chosen) throw c.error(`${mnemonic} takes a ${reg ? 'constant' : 'register'} source, got ${c.found()}`);
      return reg ? insnOf(chosen, { dst, src: c.register('ubpf').reg }) : insnOf(chosen, { dst, imm: c.imm32() });
    }
    case 'neg': case 'endian':
      return insnOf(row, { dst: c.register('ubpf').reg });
    case 'callx':
      return insnOf(row, { dst: callxRegister(c) });
    case 'jmp_reg': case 'jmp_imm': {
      const dst = c.register('ubpf').reg;
      c.expect(',');
      const reg = c.isRegister('ubpf');
      const chosen = rows.find((r) => r.format === (reg ? 'jmp_reg' : 'jmp_imm'))!;
      const fields = reg ? { dst, src: c.register('ubpf').reg } : { dst, imm: c.imm32() };
      c.expect(',');
      return insnOf(chosen, { ...fields, target: c.target(16) });
    }
    case 'ja': case 'may_goto':
      return insnOf(row, { target: c.target(16) });
    case 'ja32':
      return insnOf(row, { target: c.target(32) });
    case 'exit':
      return insnOf(row);
    case 'lddw': {
      const dst = c.register('ubpf').reg;
      c.expect(',');
      const imm64 = c.imm64();
      let src = 0;
      if (c.accept(',')) {
        const column = c.column();
        src = c.imm32('a pseudo source');
        if (!rows.some((r) => r.match?.value === src)) {
          const kinds = rows.map((r) => r.match!.value).join(', ');
          throw c.error(`lddw pseudo source ${src} is not one of ${kinds}`, column);
        }
      }
      return insnOf(rows.find((r) => r.match?.value === src)!, { dst, src, imm64 });
    }
    case 'ldx': {
      const dst = c.register('ubpf').reg;
      c.expect(',');
      const m = memory(c);
      return insnOf(row, { dst, src: m.reg, off: m.off });
    }
    case 'st': {
      const m = memory(c);
      c.expect(',');
      return insnOf(row, { dst: m.reg, off: m.off, imm: c.imm32() });
    }
    case 'stx': case 'atomic': {
      const m = memory(c);
      c.expect(',');
      return insnOf(row, { dst: m.reg, off: m.off, src: c.register('ubpf').reg });
    }
    case 'ldabs':
      return insnOf(row, { imm: c.imm32() });
    case 'ldind': {
      const src = c.register('ubpf').reg;
      c.expect(',');
      return insnOf(row, { src, imm: c.imm32() });
    }
    case 'call_helper':
      return parseCallOperands(c, 'ubpf');
    case 'call_local':
      return insnOf(row, { target: c.target(32) });
    case 'call_kfunc': {
      const imm = c.imm32('a BTF id');
      return insnOf(row, { imm, off: c.accept(',') ? c.off16('a BTF fd index') : 0 });
    }
  }
}

/** `[%rN]`, `[%rN+off]` or `[%rN-off]`. */
function memory(c: Cursor): { reg: number; off: number } {
  if (!c.accept('[')) throw c.error(`expected a memory operand like [%r1+2], got ${c.found()}`);
  const reg = c.register('ubpf').reg;
  let off = 0;
  if (c.peek()?.text === '+' || c.peek()?.text === '-') off = c.off16();
  c.expect(']');
  return { reg, off };
}
