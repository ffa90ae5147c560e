/**
 * THE opcode table: one row for every instruction of the BPF instruction set
 * (RFC 9669, ISA v1–v4, plus the Linux extensions callx and may_goto).
 * Encoder, decoder, assembler, disassembler, verifier and engines all read
 * it; nothing else lists opcodes.
 *
 * Several rows may share an opcode byte; `match` names the field whose value
 * tells them apart (sdiv is DIV with off=1, the atomics differ by imm, the
 * calls and the 64-bit loads by src).
 */
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_B, BPF_CALL, BPF_CMPXCHG,
  BPF_DIV, BPF_DW, BPF_END, BPF_EXIT, BPF_FETCH, BPF_H, BPF_IMM, BPF_IND, BPF_JA, BPF_JCOND, BPF_JEQ,
  BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP, BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT,
  BPF_JSLE, BPF_JSLT, BPF_K, BPF_LD, BPF_LDX, BPF_LSH, BPF_MAY_GOTO, BPF_MEM, BPF_MEMSX, BPF_MOD,
  BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TO_BE, BPF_TO_LE, BPF_W, BPF_X,
  BPF_XCHG, BPF_XOR,
} from './constants.js';

/**
 * How an instruction uses its fields. Each format fixes which of dst, src,
 * off and imm carry operands and which must be zero.
 *
 * | format      | dst | src    | off      | imm        |
 * |-------------|-----|--------|----------|------------|
 * | alu_reg     | reg | reg    | 0/match  | 0          |
 * | alu_imm     | reg | 0      | 0/match  | value      |
 * | neg         | reg | 0      | 0        | 0          |
 * | endian      | reg | 0      | 0        | match      |
 * | jmp_reg     | reg | reg    | target   | 0          |
 * | jmp_imm     | reg | 0      | target   | value      |
 * | ja          | 0   | 0      | target   | 0          |
 * | ja32        | 0   | 0      | 0        | target     |
 * | may_goto    | 0   | match  | target   | 0          |
 * | call_helper | 0   | match  | 0        | helper id  |
 * | call_local  | 0   | match  | 0        | target     |
 * | call_kfunc  | 0   | match  | fd index | btf id     |
 * | callx       | reg | 0      | 0        | 0          |
 * | exit        | 0   | 0      | 0        | 0          |
 * | lddw        | reg | match  | 0        | low 32     | (next slot: code 0, imm = high 32)
 * | ldx         | reg | reg    | offset   | 0          |
 * | st          | reg | 0      | offset   | value      |
 * | stx         | reg | reg    | offset   | 0          |
 * | atomic      | reg | reg    | offset   | match      |
 * | ldabs       | 0   | 0      | 0        | offset     |
 * | ldind       | 0   | reg    | 0        | offset     |
 */
export type Format =
  | 'alu_reg' | 'alu_imm' | 'neg' | 'endian'
  | 'jmp_reg' | 'jmp_imm' | 'ja' | 'ja32' | 'may_goto'
  | 'call_helper' | 'call_local' | 'call_kfunc' | 'callx' | 'exit'
  | 'lddw' | 'ldx' | 'st' | 'stx' | 'atomic' | 'ldabs' | 'ldind';

/**
 * RFC 9669 conformance groups; `callx` and `may_goto` are Linux extensions
 * outside the RFC.
 */
export type ConformanceGroup =
  | 'base32' | 'base64' | 'atomic32' | 'atomic64' | 'divmul32' | 'divmul64' | 'packet'
  | 'callx' | 'may_goto';

export type IsaVersion = 1 | 2 | 3 | 4;

export interface Match {
  readonly field: 'src' | 'off' | 'imm';
  readonly value: number;
}

export interface Opcode {
  /** The uBPF/conformance-suite mnemonic (`add32`, `ldxdw`, `lock fetch add`, `jsle32`). */
  readonly mnemonic: string;
  /** The 8-bit opcode. */
  readonly code: number;
  readonly format: Format;
  readonly match?: Match;
  /** The first ISA version (LLVM's -mcpu=vN) that has the instruction. */
  readonly version: IsaVersion;
  readonly group: ConformanceGroup;
  /** What it does, in the RFC's pseudo-C. */
  readonly semantics: string;
}

const rows: Opcode[] = [];
/**
 * Every row gets the same fields in the same order (`match` undefined when
 * absent): one object shape, so the engines' per-instruction reads of a row
 * stay monomorphic.
 */
function row(r: Opcode): void {
  const { mnemonic, code, format, match, version, group, semantics } = r;
  rows.push(Object.freeze({ mnemonic, code, format, match, version, group, semantics }));
}

// ---- ALU and ALU64 -------------------------------------------------------

interface AluOp { name: string; op: number; sem: string; off?: number; version?: IsaVersion; unsigned?: boolean; regOnly?: boolean }
const aluOps: AluOp[] = [
  { name: 'add', op: BPF_ADD, sem: 'dst += src' },
  { name: 'sub', op: BPF_SUB, sem: 'dst -= src' },
  { name: 'mul', op: BPF_MUL, sem: 'dst *= src' },
  { name: 'div', op: BPF_DIV, sem: 'dst = (src != 0) ? (dst / src) : 0' },
  { name: 'sdiv', op: BPF_DIV, off: 1, version: 4, sem: 'dst = (src != 0) ? (dst s/ src) : 0' },
  { name: 'or', op: BPF_OR, sem: 'dst |= src' },
  { name: 'and', op: BPF_AND, sem: 'dst &= src' },
  { name: 'lsh', op: BPF_LSH, sem: 'dst <<= (src & mask)' },
  { name: 'rsh', op: BPF_RSH, sem: 'dst >>= (src & mask)' },
  { name: 'mod', op: BPF_MOD, sem: 'dst = (src != 0) ? (dst % src) : dst' },
  { name: 'smod', op: BPF_MOD, off: 1, version: 4, sem: 'dst = (src != 0) ? (dst s% src) : dst' },
  { name: 'xor', op: BPF_XOR, sem: 'dst ^= src' },
  { name: 'mov', op: BPF_MOV, sem: 'dst = src' },
  { name: 'arsh', op: BPF_ARSH, sem: 'dst s>>= (src & mask)' },
];

for (const cls of [BPF_ALU64, BPF_ALU]) {
  const is64 = cls === BPF_ALU64;
  const suffix = is64 ? '' : '32';
  for (const a of aluOps) {
    const isDivMul = a.op === BPF_MUL || a.op === BPF_DIV || a.op === BPF_MOD;
    const group: ConformanceGroup = isDivMul ? (is64 ? 'divmul64' : 'divmul32') : (is64 ? 'base64' : 'base32');
    const match: Match | undefined = a.off ? { field: 'off', value: a.off } : undefined;
    const version = a.version ?? 1;
    row({ mnemonic: a.name + suffix, code: cls | a.op | BPF_X, format: 'alu_reg', match, version, group, semantics: a.sem });
    row({ mnemonic: a.name + suffix, code: cls | a.op | BPF_K, format: 'alu_imm', match, version, group, semantics: a.sem.replace(/src/g, 'imm') });
  }
  row({ mnemonic: 'neg' + suffix, code: cls | BPF_NEG | BPF_K, format: 'neg', version: 1, group: is64 ? 'base64' : 'base32', semantics: 'dst = -dst' });
  // Sign-extending moves: MOV with off = the source width (register form only).
  for (const from of is64 ? [8, 16, 32] : [8, 16]) {
    row({
      mnemonic: `movsx${from}${is64 ? 64 : 32}`, code: cls | BPF_MOV | BPF_X, format: 'alu_reg',
      match: { field: 'off', value: from }, version: 4, group: is64 ? 'base64' : 'base32',
      semantics: `dst = (s${from})src`,
    });
  }
}

// Byte swaps: ALU | END picks the target order (le/be); ALU64 | END swaps unconditionally.
for (const width of [16, 32, 64]) {
  row({ mnemonic: `le${width}`, code: BPF_ALU | BPF_END | BPF_TO_LE, format: 'endian', match: { field: 'imm', value: width }, version: 1, group: 'base32', semantics: `dst = htole${width}(dst)` });
  row({ mnemonic: `be${width}`, code: BPF_ALU | BPF_END | BPF_TO_BE, format: 'endian', match: { field: 'imm', value: width }, version: 1, group: 'base32', semantics: `dst = htobe${width}(dst)` });
  row({ mnemonic: `bswap${width}`, code: BPF_ALU64 | BPF_END | BPF_TO_LE, format: 'endian', match: { field: 'imm', value: width }, version: 4, group: 'base64', semantics: `dst = bswap${width}(dst)` });
}

// ---- JMP and JMP32 -------------------------------------------------------

interface JmpOp { name: string; op: number; sem: string; version: IsaVersion }
const jmpOps: JmpOp[] = [
  { name: 'jeq', op: BPF_JEQ, sem: '==', version: 1 },
  { name: 'jgt', op: BPF_JGT, sem: '>', version: 1 },
  { name: 'jge', op: BPF_JGE, sem: '>=', version: 1 },
  { name: 'jset', op: BPF_JSET, sem: '&', version: 1 },
  { name: 'jne', op: BPF_JNE, sem: '!=', version: 1 },
  { name: 'jsgt', op: BPF_JSGT, sem: 's>', version: 1 },
  { name: 'jsge', op: BPF_JSGE, sem: 's>=', version: 1 },
  { name: 'jlt', op: BPF_JLT, sem: '<', version: 2 },
  { name: 'jle', op: BPF_JLE, sem: '<=', version: 2 },
  { name: 'jslt', op: BPF_JSLT, sem: 's<', version: 2 },
  { name: 'jsle', op: BPF_JSLE, sem: 's<=', version: 2 },
];

for (const cls of [BPF_JMP, BPF_JMP32]) {
  const is64 = cls === BPF_JMP;
  const suffix = is64 ? '' : '32';
  for (const j of jmpOps) {
    const version: IsaVersion = is64 ? j.version : 3;
    const test = j.op === BPF_JSET ? `(dst & src)` : `dst ${j.sem} src`;
    row({ mnemonic: j.name + suffix, code: cls | j.op | BPF_X, format: 'jmp_reg', version, group: 'base32', semantics: `if (${test}) goto +off` });
    row({ mnemonic: j.name + suffix, code: cls | j.op | BPF_K, format: 'jmp_imm', version, group: 'base32', semantics: `if (${test.replace('src', 'imm')}) goto +off` });
  }
}
row({ mnemonic: 'ja', code: BPF_JMP | BPF_JA, format: 'ja', version: 1, group: 'base32', semantics: 'goto +off' });
row({ mnemonic: 'ja32', code: BPF_JMP32 | BPF_JA, format: 'ja32', version: 4, group: 'base32', semantics: 'goto +imm' });
row({ mnemonic: 'may_goto', code: BPF_JMP | BPF_JCOND, format: 'may_goto', match: { field: 'src', value: BPF_MAY_GOTO }, version: 4, group: 'may_goto', semantics: 'if (loop budget spent) goto +off' });
row({ mnemonic: 'call', code: BPF_JMP | BPF_CALL, format: 'call_helper', match: { field: 'src', value: 0 }, version: 1, group: 'base32', semantics: 'call helper function imm' });
row({ mnemonic: 'call local', code: BPF_JMP | BPF_CALL, format: 'call_local', match: { field: 'src', value: BPF_PSEUDO_CALL }, version: 1, group: 'base32', semantics: 'call the function at pc + imm + 1' });
row({ mnemonic: 'call kfunc', code: BPF_JMP | BPF_CALL, format: 'call_kfunc', match: { field: 'src', value: BPF_PSEUDO_KFUNC_CALL }, version: 1, group: 'base32', semantics: 'call the kernel function with BTF id imm' });
row({ mnemonic: 'callx', code: BPF_JMP | BPF_CALL | BPF_X, format: 'callx', version: 1, group: 'callx', semantics: 'call helper function dst' });
row({ mnemonic: 'exit', code: BPF_JMP | BPF_EXIT, format: 'exit', version: 1, group: 'base32', semantics: 'return r0' });

// ---- loads and stores ----------------------------------------------------

const sizes = [
  { suffix: 'b', size: BPF_B, bits: 8 },
  { suffix: 'h', size: BPF_H, bits: 16 },
  { suffix: 'w', size: BPF_W, bits: 32 },
  { suffix: 'dw', size: BPF_DW, bits: 64 },
];

for (const s of sizes) {
  const group: ConformanceGroup = s.size === BPF_DW ? 'base64' : 'base32';
  const u = `u${s.bits}`;
  row({ mnemonic: `ldx${s.suffix}`, code: BPF_LDX | BPF_MEM | s.size, format: 'ldx', version: 1, group, semantics: `dst = *(${u} *)(src + off)` });
  if (s.size !== BPF_DW) {
    row({ mnemonic: `ldxs${s.suffix}`, code: BPF_LDX | BPF_MEMSX | s.size, format: 'ldx', version: 4, group: 'base64', semantics: `dst = *(s${s.bits} *)(src + off)` });
    row({ mnemonic: `ldabs${s.suffix}`, code: BPF_LD | BPF_ABS | s.size, format: 'ldabs', version: 1, group: 'packet', semantics: `r0 = ntoh(*(${u} *)(skb->data + imm))` });
    row({ mnemonic: `ldind${s.suffix}`, code: BPF_LD | BPF_IND | s.size, format: 'ldind', version: 1, group: 'packet', semantics: `r0 = ntoh(*(${u} *)(skb->data + src + imm))` });
  }
  row({ mnemonic: `st${s.suffix}`, code: BPF_ST | BPF_MEM | s.size, format: 'st', version: 1, group, semantics: `*(${u} *)(dst + off) = imm` });
  row({ mnemonic: `stx${s.suffix}`, code: BPF_STX | BPF_MEM | s.size, format: 'stx', version: 1, group, semantics: `*(${u} *)(dst + off) = src` });
}

const atomicOps = [
  { name: 'add', imm: BPF_ADD, sem: '+=' },
  { name: 'or', imm: BPF_OR, sem: '|=' },
  { name: 'and', imm: BPF_AND, sem: '&=' },
  { name: 'xor', imm: BPF_XOR, sem: '^=' },
];
for (const size of [BPF_DW, BPF_W]) {
  const suffix = size === BPF_DW ? '' : '32';
  const group: ConformanceGroup = size === BPF_DW ? 'atomic64' : 'atomic32';
  const u = size === BPF_DW ? 'u64' : 'u32';
  const code = BPF_STX | BPF_ATOMIC | size;
  for (const a of atomicOps) {
    // BPF_XADD (atomic add without fetch) predates v3; the rest came with it.
    row({ mnemonic: `lock ${a.name}${suffix}`, code, format: 'atomic', match: { field: 'imm', value: a.imm }, version: a.imm === BPF_ADD ? 1 : 3, group, semantics: `lock *(${u} *)(dst + off) ${a.sem} src` });
    row({ mnemonic: `lock fetch ${a.name}${suffix}`, code, format: 'atomic', match: { field: 'imm', value: a.imm | BPF_FETCH }, version: 3, group, semantics: `src = atomic_fetch_${a.name}((${u} *)(dst + off), src)` });
  }
  row({ mnemonic: `lock xchg${suffix}`, code, format: 'atomic', match: { field: 'imm', value: BPF_XCHG }, version: 3, group, semantics: `src = xchg((${u} *)(dst + off), src)` });
  row({ mnemonic: `lock cmpxchg${suffix}`, code, format: 'atomic', match: { field: 'imm', value: BPF_CMPXCHG }, version: 3, group, semantics: `r0 = cmpxchg((${u} *)(dst + off), r0, src)` });
}

const lddwKinds = [
  { src: 0, sem: 'dst = imm64' },
  { src: BPF_PSEUDO_MAP_FD, sem: 'dst = map_by_fd(imm)' },
  { src: BPF_PSEUDO_MAP_VALUE, sem: 'dst = map_val(map_by_fd(imm)) + next_imm' },
  { src: BPF_PSEUDO_BTF_ID, sem: 'dst = var_addr(imm)' },
  { src: BPF_PSEUDO_FUNC, sem: 'dst = code_addr(pc + imm + 1)' },
  { src: BPF_PSEUDO_MAP_IDX, sem: 'dst = map_by_idx(imm)' },
  { src: BPF_PSEUDO_MAP_IDX_VALUE, sem: 'dst = map_val(map_by_idx(imm)) + next_imm' },
];
for (const k of lddwKinds) {
  row({ mnemonic: 'lddw', code: BPF_LD | BPF_IMM | BPF_DW, format: 'lddw', match: { field: 'src', value: k.src }, version: 1, group: 'base64', semantics: k.sem });
}

/** Every instruction of the ISA, in a stable order. */
export const OPCODES: readonly Opcode[] = Object.freeze(rows);

/** Rows by opcode byte (most bytes have one row; a few have several told apart by `match`). */
const byCode: Opcode[][] = Array.from({ length: 256 }, () => []);
for (const r of OPCODES) byCode[r.code].push(r);

/** The row of each opcode byte that has exactly one row and no `match`: most bytes, found without a search. */
const soleRow: (Opcode | undefined)[] = byCode.map((list) => (list.length === 1 && !list[0].match ? list[0] : undefined));

/** The rows that use this opcode byte (empty when the byte is undefined). */
export function rowsForCode(code: number): readonly Opcode[] {
  return byCode[code & 0xff];
}

/**
 * The row an instruction's fields select, or undefined. A row with a `match`
 * wins when its field has that value; a row without one takes the rest.
 */
export function lookupOpcode(code: number, src: number, off: number, imm: number): Opcode | undefined {
  const sole = soleRow[code & 0xff];
  if (sole) return sole;
  let fallback: Opcode | undefined;
  for (const r of byCode[code & 0xff]) {
    if (!r.match) { fallback = r; continue; }
    const v = r.match.field === 'src' ? src : r.match.field === 'off' ? off : imm;
    if (v === r.match.value) return r;
  }
  return fallback;
}

