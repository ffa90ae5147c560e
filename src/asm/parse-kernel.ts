/**
 * The kernel / LLVM syntax: C-like statements, as the verifier log, bpftool
 * and llvm-objdump print them.
 *
 *   r0 = *(u8 *)(r1 + 2)        *(u64 *)(r10 -8) = r1       *(u32 *)(r1 +0) = 7
 *   w0 = w1     r0 += 5         w0 s/= w1                   r0 = -r0
 *   r0 = (s8)r1                 r0 = be16 r0                r0 = bswap32 r0
 *   if r1 > 0x10 goto +3        if w1 s< w2 goto label      goto pc-3    gotol +5
 *   r1 = 0x1122334455667788 ll  (18) r1 = 0x5               r1 = map[id:4]
 *   lock *(u64 *)(r1 +0) += r2  r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)
 *   r2 = xchg_64(r1 + 0, r2)    r0 = cmpxchg_64(r1 + 0, r0, r2)
 *   r0 = *(u16 *)skb[r1 + 4]    may_goto +2                 ld_pseudo r1, 1, 4
 *
 * Registers are rN, or wN for the 32-bit view: `w0 += w1` is the ALU32 row,
 * `if w1 > 2` the JMP32 one.
 */
import type { Cursor, Register } from './cursor.js';
import { checkImm32 } from './cursor.js';
import { insnOf, parseCallOperands, rowOf, type ParsedInsn } from './parsed.js';
import { ALU_OPERATORS, ATOMIC_OPERATORS, JMP_OPERATORS, SIZE_SUFFIX, findRow, invert } from './syntax.js';
import { BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE } from '../isa/index.js';

const ALU_BY_OPERATOR = invert(ALU_OPERATORS);
const JMP_BY_OPERATOR = invert(JMP_OPERATORS);
const ATOMIC_BY_OPERATOR = invert(ATOMIC_OPERATORS);

/** The opcode of a plain 64-bit load, which `(18) r1 = 0x5` in the kernel's log names without `ll`. */
const LDDW_CODE = findRow('lddw', 'lddw', 0)!.code;

interface SizeCast { bits: number; signed: boolean; column: number }

/** Parse one statement. `prefixCode` is the `(xx)` opcode written before it, if any. */
export function parseKernel(c: Cursor, prefixCode: number | undefined): ParsedInsn {
  const p = statement(c, prefixCode);
  c.expectEnd('the instruction');
  return p;
}

function statement(c: Cursor, prefixCode: number | undefined): ParsedInsn {
  const tok = c.peek()!;
  const column = tok.column;
  if (tok.kind === 'punct' && tok.text === '*') return store(c);
  if (tok.kind === 'ident') {
    switch (tok.text) {
      case 'exit':
        c.next();
        return insnOf(rowOf(c, 'exit', 'exit', column));
      case 'goto':
        c.next();
        return insnOf(rowOf(c, 'ja', 'ja', column), { target: c.target(16) });
      case 'gotol':
        c.next();
        return insnOf(rowOf(c, 'ja32', 'ja32', column), { target: c.target(32) });
      case 'may_goto':
        c.next();
        return insnOf(rowOf(c, 'may_goto', 'may_goto', column), { target: c.target(16) });
      case 'call': case 'callx':
        c.next();
        return parseCallOperands(c, 'kernel');
      case 'if':
        return conditional(c);
      case 'lock':
        c.next();
        return atomicStore(c);
      case 'ld_pseudo':
        c.next();
        return ldPseudo(c);
    }
    if (c.isRegister('kernel')) return assignment(c, prefixCode);
  }
  throw c.error(`expected an instruction, got ${c.found()}`);
}

function sameWidth(c: Cursor, a: Register, b: Register): void {
  if (a.w !== b.w) {
    throw c.error(`registers of different widths: ${a.w ? 'w' : 'r'}${a.reg} with ${b.w ? 'w' : 'r'}${b.reg}`, b.column);
  }
}

function wide(c: Cursor, r: Register, what: string): void {
  if (r.w) throw c.error(`${what} takes a 64-bit register like r${r.reg}, got 'w${r.reg}'`, r.column);
}

/** `(u8 *)`, `(s16 *)`, … */
function sizeCast(c: Cursor): SizeCast {
  const column = c.column();
  c.expect('(', "a type like '(u32 *)'");
  const tok = c.peek();
  const m = tok?.kind === 'ident' ? /^([us])(8|16|32|64)$/.exec(tok.text) : null;
  if (!m || tok!.text === 's64') throw c.error(`expected a type u8, u16, u32, u64, s8, s16 or s32, got ${c.found()}`);
  c.next();
  c.expect('*');
  c.expect(')');
  return { bits: Number(m[2]), signed: m[1] === 's', column };
}

/** `rN +off` / `rN - 0x8` / `rN` (inside parentheses or not). */
function baseOffset(c: Cursor): { reg: number; off: number } {
  const r = c.register('kernel');
  wide(c, r, 'an address');
  const off = c.peek()?.text === '+' || c.peek()?.text === '-' ? c.off16() : 0;
  return { reg: r.reg, off };
}

/** `(rN +off)`. */
function memRef(c: Cursor): { reg: number; off: number } {
  c.expect('(', "an address like '(r1 +8)'");
  const m = baseOffset(c);
  c.expect(')');
  return m;
}

function unsignedAccess(c: Cursor, size: SizeCast, what: string): void {
  if (size.signed) throw c.error(`${what} take an unsigned type (u8, u16, u32, u64), got s${size.bits}`, size.column);
}

/** `*(u32 *)(r1 +0) = 7` and `*(u64 *)(r10 -8) = r1`. */
function store(c: Cursor): ParsedInsn {
  const column = c.column();
  c.expect('*');
  const size = sizeCast(c);
  unsignedAccess(c, size, 'stores');
  const m = memRef(c);
  c.expect('=');
  const suffix = SIZE_SUFFIX[size.bits];
  if (c.isRegister('kernel')) {
    const r = c.register('kernel');
    if (size.bits === 64) wide(c, r, 'a 64-bit store');
    return insnOf(rowOf(c, `stx${suffix}`, 'stx', column), { dst: m.reg, off: m.off, src: r.reg });
  }
  return insnOf(rowOf(c, `st${suffix}`, 'st', column), { dst: m.reg, off: m.off, imm: c.imm32() });
}

function atomicWidth(c: Cursor, size: SizeCast): '' | '32' {
  if (size.signed || (size.bits !== 32 && size.bits !== 64)) {
    throw c.error(`atomic operations take (u32 *) or (u64 *), got (${size.signed ? 's' : 'u'}${size.bits} *)`, size.column);
  }
  return size.bits === 32 ? '32' : '';
}

/** `lock *(u64 *)(r1 +0) += r2`. */
function atomicStore(c: Cursor): ParsedInsn {
  const column = c.column();
  c.expect('*', "'*(u64 *)(…)' after 'lock'");
  const size = sizeCast(c);
  const suffix = atomicWidth(c, size);
  const m = memRef(c);
  const opTok = c.next();
  const op = ATOMIC_BY_OPERATOR.get(opTok.text);
  if (!op) throw c.error(`expected an atomic operator +=, |=, &= or ^=, got '${opTok.text}'`, opTok.column);
  const r = c.register('kernel');
  if (!suffix) wide(c, r, 'a 64-bit atomic operation');
  return insnOf(rowOf(c, `lock ${op}${suffix}`, 'atomic', column), { dst: m.reg, off: m.off, src: r.reg });
}

/** `if r1 > 0x10 goto +3`, `if w1 s< w2 goto label`. */
function conditional(c: Cursor): ParsedInsn {
  const column = c.column();
  c.expectWord('if');
  const a = c.register('kernel');
  const opTok = c.peek();
  const base = opTok?.kind === 'punct' ? JMP_BY_OPERATOR.get(opTok.text) : undefined;
  if (!base) throw c.error(`expected a comparison like ==, >, s<= or &, got ${c.found()}`);
  c.next();
  const mnemonic = base + (a.w ? '32' : '');
  let p: ParsedInsn;
  if (c.isRegister('kernel')) {
    const b = c.register('kernel');
    sameWidth(c, a, b);
    p = insnOf(rowOf(c, mnemonic, 'jmp_reg', column), { dst: a.reg, src: b.reg });
  } else {
    p = insnOf(rowOf(c, mnemonic, 'jmp_imm', column), { dst: a.reg, imm: c.imm32() });
  }
  c.expectWord('goto');
  p.target = c.target(16);
  return p;
}

/** Everything that starts with a register: ALU operations, loads, byte swaps, 64-bit loads, fetching atomics. */
function assignment(c: Cursor, prefixCode: number | undefined): ParsedInsn {
  const column = c.column();
  const d = c.register('kernel');
  const opTok = c.peek();
  if (!opTok || opTok.kind !== 'punct' || !(opTok.text === '=' || ALU_BY_OPERATOR.has(opTok.text))) {
    throw c.error(`expected an assignment like '=', '+=' or 's>>=', got ${c.found()}`);
  }
  c.next();
  const suffix = d.w ? '32' : '';
  if (opTok.text !== '=') return aluOperands(c, d, `${ALU_BY_OPERATOR.get(opTok.text)!}${suffix}`, column);

  const tok = c.peek();
  if (!tok) throw c.error("expected a value after '='");
  if (tok.kind === 'punct' && tok.text === '*') return load(c, d, column);
  if (tok.kind === 'punct' && tok.text === '-' && c.isRegister('kernel', 1)) {
    c.next();
    const s = c.register('kernel');
    if (s.reg !== d.reg || s.w !== d.w) throw c.error(`negation works in place: expected ${d.w ? 'w' : 'r'}${d.reg}, got '${s.w ? 'w' : 'r'}${s.reg}'`, s.column);
    return insnOf(rowOf(c, `neg${suffix}`, 'neg', column), { dst: d.reg });
  }
  if (tok.kind === 'punct' && tok.text === '(') return signExtend(c, d, column);
  if (tok.kind === 'ident') {
    const swap = /^(be|le|bswap)(16|32|64)$/.exec(tok.text);
    if (swap) {
      c.next();
      wide(c, d, 'a byte swap');
      const s = c.register('kernel');
      if (s.reg !== d.reg || s.w) throw c.error(`byte swaps work in place: expected r${d.reg}, got '${s.w ? 'w' : 'r'}${s.reg}'`, s.column);
      return insnOf(rowOf(c, tok.text, 'endian', column), { dst: d.reg });
    }
    if (/^(atomic(64)?_|xchg|cmpxchg)/.test(tok.text)) return atomicFetch(c, d, column);
    if (tok.text === 'map' || tok.text === 'subprog') return bpftoolImm(c, d, column);
    if (c.isRegister('kernel')) return aluOperands(c, d, `mov${suffix}`, column);
  }
  if (c.isLiteral()) {
    const lit = c.literal('a value');
    if (c.acceptWord('ll') || prefixCode === LDDW_CODE) {
      wide(c, d, 'a 64-bit load');
      if (lit.value < -(2n ** 63n) || lit.value >= 2n ** 64n) throw c.error(`immediate ${lit.text} does not fit in 64 bits`, lit.column);
      return insnOf(rowOf(c, 'lddw', 'lddw', column, 0), { dst: d.reg, imm64: BigInt.asUintN(64, lit.value) });
    }
    const imm = checkImm32(lit, c.line, c.file, d.w ? '' : `; write '${lit.text} ll' for a 64-bit load`);
    return insnOf(rowOf(c, `mov${suffix}`, 'alu_imm', column), { dst: d.reg, imm });
  }
  throw c.error(`expected a register, a number or a memory load after '=', got ${c.found()}`);
}

/** The source of `rD op= …`: a register of the same width or a 32-bit immediate. */
function aluOperands(c: Cursor, d: Register, mnemonic: string, column: number): ParsedInsn {
  if (c.isRegister('kernel')) {
    const s = c.register('kernel');
    sameWidth(c, d, s);
    return insnOf(rowOf(c, mnemonic, 'alu_reg', column), { dst: d.reg, src: s.reg });
  }
  return insnOf(rowOf(c, mnemonic, 'alu_imm', column), { dst: d.reg, imm: c.imm32() });
}

/** `r0 = (s8)r1`, `w0 = (s16)w1`. */
function signExtend(c: Cursor, d: Register, column: number): ParsedInsn {
  c.expect('(');
  const tok = c.peek();
  const m = tok?.kind === 'ident' ? /^s(8|16|32)$/.exec(tok.text) : null;
  if (!m) throw c.error(`expected a sign-extending cast (s8), (s16) or (s32), got ${c.found()}`);
  c.next();
  c.expect(')');
  const s = c.register('kernel');
  sameWidth(c, d, s);
  const mnemonic = `movsx${m[1]}${d.w ? 32 : 64}`;
  if (!findRow(mnemonic, 'alu_reg')) throw c.error(`(s${m[1]}) only extends into a 64-bit register`, tok!.column);
  return insnOf(rowOf(c, mnemonic, 'alu_reg', column), { dst: d.reg, src: s.reg });
}

/** `r0 = *(u8 *)(r1 +2)`, `r0 = *(s16 *)(r1 -4)`, `r0 = *(u8 *)skb[12]`, `r0 = *(u16 *)skb[r1 + 4]`. */
function load(c: Cursor, d: Register, column: number): ParsedInsn {
  c.expect('*');
  const size = sizeCast(c);
  const suffix = SIZE_SUFFIX[size.bits];
  if (c.acceptWord('skb')) {
    unsignedAccess(c, size, 'packet loads');
    if (d.reg !== 0 || d.w) throw c.error(`packet loads write r0, got '${d.w ? 'w' : 'r'}${d.reg}'`, d.column);
    c.expect('[');
    let p: ParsedInsn;
    if (c.isRegister('kernel')) {
      const src = c.register('kernel');
      wide(c, src, 'a packet offset');
      const imm = c.peek()?.text === '+' || c.peek()?.text === '-' ? c.imm32() : 0;
      p = insnOf(rowOf(c, `ldind${suffix}`, 'ldind', column), { src: src.reg, imm });
    } else {
      p = insnOf(rowOf(c, `ldabs${suffix}`, 'ldabs', column), { imm: c.imm32('a packet offset') });
    }
    c.expect(']');
    return p;
  }
  const m = memRef(c);
  if (d.w && (size.signed || size.bits === 64)) {
    throw c.error(`a ${size.signed ? 'sign-extending' : '64-bit'} load writes a 64-bit register like r${d.reg}, got 'w${d.reg}'`, d.column);
  }
  const mnemonic = `ldx${size.signed ? 's' : ''}${suffix}`;
  return insnOf(rowOf(c, mnemonic, 'ldx', column), { dst: d.reg, src: m.reg, off: m.off });
}

/**
 * The fetching atomics, as the kernel prints them
 * (`r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)`, `r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r2)`)
 * and as LLVM does (`r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)`, `w2 = xchg32_32(r1 + 0, w2)`,
 * `r0 = cmpxchg_64(r1 + 0, r0, r2)`).
 */
function atomicFetch(c: Cursor, d: Register, column: number): ParsedInsn {
  const name = c.next();
  const kernel = /^atomic(64)?_(?:fetch_(add|and|or|xor)|(xchg|cmpxchg))$/.exec(name.text);
  const llvm = /^(xchg|cmpxchg)(32)?_(32|64)$/.exec(name.text);
  if (!kernel && !llvm) throw c.error(`unknown atomic operation '${name.text}'`, name.column);
  c.expect('(');
  let suffix: '' | '32';
  let m: { reg: number; off: number };
  let op: string;
  if (kernel) {
    const size = sizeCast(c);
    suffix = atomicWidth(c, size);
    if (kernel[1] && suffix) throw c.error(`${name.text} works on (u64 *), got (u32 *)`, size.column);
    m = memRef(c);
    op = kernel[2] ? `fetch ${kernel[2]}` : kernel[3];
  } else {
    suffix = llvm![3] === '32' ? '32' : '';
    m = baseOffset(c);
    op = llvm![1];
  }
  const cmpxchg = op === 'cmpxchg';
  if (cmpxchg) {
    c.expect(',');
    const r0 = c.register('kernel');
    if (r0.reg !== 0) throw c.error(`cmpxchg compares with r0, got 'r${r0.reg}'`, r0.column);
    if (d.reg !== 0) throw c.error(`cmpxchg writes r0, got '${d.w ? 'w' : 'r'}${d.reg}'`, d.column);
  }
  c.expect(',');
  const s = c.register('kernel');
  c.expect(')');
  if (!suffix) { wide(c, d, name.text); wide(c, s, name.text); }
  if (!cmpxchg && s.reg !== d.reg) {
    throw c.error(`${name.text} returns the old value in its source register: expected r${s.reg} on the left, got '${d.w ? 'w' : 'r'}${d.reg}'`, d.column);
  }
  return insnOf(rowOf(c, `lock ${op}${suffix}`, 'atomic', column), { dst: m.reg, off: m.off, src: s.reg });
}

/** A u32 printed with %u by bpftool. */
function u32(c: Cursor, what: string): number {
  const lit = c.literal(`a ${what}`);
  if (lit.value < 0n || lit.value > 0xffffffffn) throw c.error(`${what} ${lit.text} does not fit in 32 bits`, lit.column);
  return Number(BigInt.asIntN(32, lit.value));
}

/** bpftool's names for 64-bit loads of a pseudo source: `map[id:4]`, `map[id:4][0]+8`, `subprog[+3]`. */
function bpftoolImm(c: Cursor, d: Register, column: number): ParsedInsn {
  wide(c, d, 'a 64-bit load');
  if (c.acceptWord('subprog')) {
    c.expect('[');
    const target = c.imm32('a subprogram offset');
    c.expect(']');
    return insnOf(rowOf(c, 'lddw', 'lddw', column, BPF_PSEUDO_FUNC), { dst: d.reg, src: BPF_PSEUDO_FUNC, imm64: BigInt(target >>> 0) });
  }
  c.expectWord('map');
  c.expect('[');
  c.expectWord('id');
  c.expect(':');
  const id = u32(c, 'map id');
  c.expect(']');
  if (!c.accept('[')) {
    return insnOf(rowOf(c, 'lddw', 'lddw', column, BPF_PSEUDO_MAP_FD), { dst: d.reg, src: BPF_PSEUDO_MAP_FD, imm64: BigInt(id >>> 0) });
  }
  const zero = c.literal('0');
  if (zero.value !== 0n) throw c.error(`expected [0], got [${zero.text}]`, zero.column);
  c.expect(']');
  c.expect('+');
  const value = u32(c, 'value offset');
  const imm64 = (BigInt(value >>> 0) << 32n) | BigInt(id >>> 0);
  return insnOf(rowOf(c, 'lddw', 'lddw', column, BPF_PSEUDO_MAP_VALUE), { dst: d.reg, src: BPF_PSEUDO_MAP_VALUE, imm64 });
}

/** LLVM's `ld_pseudo r1, 1, 0x4`: a 64-bit load with an explicit pseudo source. */
function ldPseudo(c: Cursor): ParsedInsn {
  const d = c.register('kernel');
  wide(c, d, 'ld_pseudo');
  c.expect(',');
  const srcColumn = c.column();
  const src = c.imm32('a pseudo source');
  c.expect(',');
  const imm64 = c.imm64();
  const row = findRow('lddw', 'lddw', src);
  if (!row) throw c.error(`ld_pseudo source ${src} is not a pseudo source of lddw`, srcColumn);
  return insnOf(row, { dst: d.reg, src, imm64 });
}
