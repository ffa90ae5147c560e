/**
 * Raw instructions: the kernel's `struct bpf_insn`, one 8-byte slot each.
 *
 *   byte 0     | byte 1            | bytes 2-3 | bytes 4-7
 *   opcode     | src:4 dst:4 (LE)  | off (s16) | imm (s32)
 *              | dst:4 src:4 (BE)  |           |
 *
 * A program is an array of slots exactly as the kernel holds it: LD_IMM64
 * takes two, the second with opcode 0 and the high 32 bits of the constant in
 * its imm. Jump offsets, verifier log indexes and `bpftool` all count slots.
 */
import { EbpfError } from '../internal/errors.js';
import type { ByteOrder } from '../internal/bytes.js';
import { BPF_INSN_SIZE, BPF_JMP, BPF_JMP32, BPF_REG_10, MAX_BPF_REG } from './constants.js';
import { lookupOpcode, rowsForCode, type Opcode } from './table.js';

export interface Insn {
  code: number;
  dst: number;
  src: number;
  /** Signed 16-bit. */
  off: number;
  /** Signed 32-bit. */
  imm: number;
}

/** An instruction the ISA does not define, or one whose reserved fields are set. */
export class InstructionError extends EbpfError {
  readonly index: number;
  readonly reason: string;

  constructor(index: number, reason: string) {
    super('EINSN', `insn ${index}: ${reason}`);
    this.index = index;
    this.reason = reason;
  }
}

export function insn(code: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return { code, dst, src, off, imm };
}

/** Split raw bytes into slots. The length must be a multiple of 8. */
export function decodeInsns(bytes: Uint8Array, order: ByteOrder = 'le'): Insn[] {
  if (bytes.length % BPF_INSN_SIZE !== 0) {
    throw new InstructionError(Math.floor(bytes.length / BPF_INSN_SIZE),
      `program is ${bytes.length} bytes, not a multiple of ${BPF_INSN_SIZE}: the last instruction is truncated`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = order === 'le';
  const out: Insn[] = new Array(bytes.length / BPF_INSN_SIZE);
  for (let i = 0; i < out.length; i++) {
    const p = i * BPF_INSN_SIZE;
    const regs = bytes[p + 1];
    out[i] = {
      code: bytes[p],
      dst: le ? regs & 0x0f : regs >> 4,
      src: le ? regs >> 4 : regs & 0x0f,
      off: view.getInt16(p + 2, le),
      imm: view.getInt32(p + 4, le),
    };
  }
  return out;
}

/** The bytes of the slots, in the given order. Fields are truncated to their widths. */
export function encodeInsns(insns: readonly Insn[], order: ByteOrder = 'le'): Uint8Array {
  // Byte by byte, without a DataView: the JIT keys its cache by these bytes on every load.
  const bytes = new Uint8Array(insns.length * BPF_INSN_SIZE);
  const le = order === 'le';
  for (let i = 0, p = 0; i < insns.length; i++, p += BPF_INSN_SIZE) {
    const ins = insns[i];
    const off = ins.off, imm = ins.imm;
    bytes[p] = ins.code;
    if (le) {
      bytes[p + 1] = ((ins.src & 0xf) << 4) | (ins.dst & 0xf);
      bytes[p + 2] = off;
      bytes[p + 3] = off >> 8;
      bytes[p + 4] = imm;
      bytes[p + 5] = imm >> 8;
      bytes[p + 6] = imm >> 16;
      bytes[p + 7] = imm >> 24;
    } else {
      bytes[p + 1] = ((ins.dst & 0xf) << 4) | (ins.src & 0xf);
      bytes[p + 2] = off >> 8;
      bytes[p + 3] = off;
      bytes[p + 4] = imm >> 24;
      bytes[p + 5] = imm >> 16;
      bytes[p + 6] = imm >> 8;
      bytes[p + 7] = imm;
    }
  }
  return bytes;
}

/** The 64-bit constant of an LD_IMM64 pair. */
export function imm64(lo: Insn, hi: Insn): bigint {
  return (BigInt(hi.imm >>> 0) << 32n) | BigInt(lo.imm >>> 0);
}

/** The two slots of an LD_IMM64 loading `value` into `dst`. */
export function ldImm64(dst: number, value: bigint, src = 0): [Insn, Insn] {
  const v = BigInt.asUintN(64, value);
  return [
    { code: 0x18, dst, src, off: 0, imm: Number(BigInt.asIntN(32, v)) },
    { code: 0, dst: 0, src: 0, off: 0, imm: Number(BigInt.asIntN(32, v >> 32n)) },
  ];
}

function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(2, '0');
}

type Field = 'dst' | 'src' | 'off' | 'imm';

const rowName = (row: Opcode) => `${row.mnemonic} (opcode ${hex(row.code)})`;
// The field's value is read at each call site (a constant property name, not a keyed read of a varying one).
const must = (row: Opcode, field: Field, v: number): string | null =>
  v === 0 ? null : `${rowName(row)} uses reserved field ${field}=${v}, must be 0`;
const reg = (row: Opcode, field: 'dst' | 'src', v: number): string | null =>
  v < MAX_BPF_REG ? null : `${rowName(row)} names register r${v} in ${field}; registers are r0 to r${BPF_REG_10}`;
const matched = (row: Opcode, field: 'off' | 'imm' | 'src', v: number): string | null =>
  row.match?.field === field ? null : must(row, field, v);

/**
 * Why the fields of `ins` do not fit `row`, or null when they do. The
 * fields are checked in order and the first problem is reported; nothing is
 * allocated for a valid instruction (every program load runs this per slot).
 */
function fieldProblem(r: Opcode, i: Insn): string | null {
  switch (r.format) {
    case 'alu_reg': return reg(r, 'dst', i.dst) ?? reg(r, 'src', i.src) ?? matched(r, 'off', i.off) ?? must(r, 'imm', i.imm);
    case 'alu_imm': return reg(r, 'dst', i.dst) ?? must(r, 'src', i.src) ?? matched(r, 'off', i.off);
    case 'neg': return reg(r, 'dst', i.dst) ?? must(r, 'src', i.src) ?? must(r, 'off', i.off) ?? must(r, 'imm', i.imm);
    case 'endian': return reg(r, 'dst', i.dst) ?? must(r, 'src', i.src) ?? must(r, 'off', i.off);
    case 'jmp_reg': return reg(r, 'dst', i.dst) ?? reg(r, 'src', i.src) ?? must(r, 'imm', i.imm);
    case 'jmp_imm': return reg(r, 'dst', i.dst) ?? must(r, 'src', i.src);
    case 'ja': return must(r, 'dst', i.dst) ?? must(r, 'src', i.src) ?? must(r, 'imm', i.imm);
    case 'ja32': return must(r, 'dst', i.dst) ?? must(r, 'src', i.src) ?? must(r, 'off', i.off);
    case 'may_goto': return must(r, 'dst', i.dst) ?? must(r, 'imm', i.imm);
    case 'call_helper':
    case 'call_local': return must(r, 'dst', i.dst) ?? must(r, 'off', i.off);
    case 'call_kfunc': return must(r, 'dst', i.dst);
    case 'callx': return reg(r, 'dst', i.dst) ?? must(r, 'src', i.src) ?? must(r, 'off', i.off) ?? must(r, 'imm', i.imm);
    case 'exit': return must(r, 'dst', i.dst) ?? must(r, 'src', i.src) ?? must(r, 'off', i.off) ?? must(r, 'imm', i.imm);
    case 'lddw': return reg(r, 'dst', i.dst) ?? must(r, 'off', i.off);
    case 'ldx': return reg(r, 'dst', i.dst) ?? reg(r, 'src', i.src) ?? must(r, 'imm', i.imm);
    case 'st': return reg(r, 'dst', i.dst) ?? must(r, 'src', i.src);
    case 'stx': return reg(r, 'dst', i.dst) ?? reg(r, 'src', i.src) ?? must(r, 'imm', i.imm);
    case 'atomic': return reg(r, 'dst', i.dst) ?? reg(r, 'src', i.src);
    case 'ldabs': return must(r, 'dst', i.dst) ?? must(r, 'src', i.src) ?? must(r, 'off', i.off);
    case 'ldind': return must(r, 'dst', i.dst) ?? reg(r, 'src', i.src) ?? must(r, 'off', i.off);
  }
}

/** The reason no row accepts `ins`: an undefined opcode byte, or a discriminating field with no row. */
function unknownReason(ins: Insn): string {
  const candidates = rowsForCode(ins.code);
  if (candidates.length === 0) return `unknown opcode ${hex(ins.code)}`;
  const field = candidates[0].match!.field;
  const allowed = candidates.map((r) => `${r.match!.value} (${r.mnemonic})`).join(', ');
  return `opcode ${hex(ins.code)} with ${field}=${ins[field]} is undefined; ${field} must be one of ${allowed}`;
}

/** Bits of a row's field mask: the fields it needs zero, and the ones that must name a register. */
const ZERO_DST = 1, ZERO_SRC = 2, ZERO_OFF = 4, ZERO_IMM = 8, REG_DST = 16, REG_SRC = 32;

/** What fieldProblem asks of the fields of a `row` instruction, found by asking it (its match field is free). */
function fieldMask(r: Opcode): number {
  const fails = (fields: Partial<Insn>) => fieldProblem(r, { code: r.code, dst: 0, src: 0, off: 0, imm: 0, ...fields }) !== null;
  return (fails({ dst: 1 }) ? ZERO_DST : fails({ dst: MAX_BPF_REG }) ? REG_DST : 0)
    | (fails({ src: 1 }) ? ZERO_SRC : fails({ src: MAX_BPF_REG }) ? REG_SRC : 0)
    | (fails({ off: 1 }) ? ZERO_OFF : 0) | (fails({ imm: 1 }) ? ZERO_IMM : 0);
}

/** The field-mask bits that fields of these values fail: a row's mask and these share a bit when the fields do not fit it (fieldProblem then says how). */
const failedBits = (dst: number, src: number, off: number, imm: number): number =>
  (dst !== 0 ? ZERO_DST : 0) | (src !== 0 ? ZERO_SRC : 0) | (off !== 0 ? ZERO_OFF : 0) | (imm !== 0 ? ZERO_IMM : 0)
  | (dst < MAX_BPF_REG ? 0 : REG_DST) | (src < MAX_BPF_REG ? 0 : REG_SRC);

/** Which field tells the rows of an opcode byte apart (Match.field): numbered, for decodeProgram's tables. */
const MATCH_SRC = 1, MATCH_OFF = 2, MATCH_IMM = 3;

/**
 * decodeProgram's view of the table, by opcode byte: the row without a
 * `match` (PLAIN) and its field mask (in INFO), and for the bytes whose
 * rows differ by a field, that field (in INFO) and each matched row with
 * its value and mask (MATCHED; the rows of a byte
 * all match on one field, as unknownReason words it). The common valid
 * instruction then finds its row and checks its fields with a few loads
 * and comparisons, no search and no string; lookupOpcode and fieldProblem
 * word the problem of one that fails them.
 */
const PLAIN: (Opcode | undefined)[] = [];
const MATCHED: { values: number[]; rows: Opcode[]; masks: number[] }[] = [];
/**
 * Per opcode byte, in one word (one load a slot): the plain row's field mask (bits 0–5), the match
 * field (bits 8–9, MATCH_SRC…), PLAIN_FIRST, LDDW (the byte takes two slots), and MARK (validateProgram's marks).
 */
const INFO = new Int32Array(256);
const MATCH_SHIFT = 8, PLAIN_FIRST = 1 << 10, LDDW = 1 << 11, MARK = 1 << 12;
for (let code = 0; code < 256; code++) {
  const list = rowsForCode(code);
  // lookupOpcode takes the last row without a match, and the first row of a matched value.
  const plain = list.filter((r) => !r.match).pop();
  PLAIN.push(plain);
  const mask = plain ? fieldMask(plain) : 0;
  const matched = list.filter((r) => r.match);
  const field = matched[0]?.match?.field;
  let info = mask | ((field === 'src' ? MATCH_SRC : field === 'off' ? MATCH_OFF : field === 'imm' ? MATCH_IMM : 0) << MATCH_SHIFT);
  MATCHED.push({ values: matched.map((r) => r.match!.value), rows: matched, masks: matched.map(fieldMask) });
  if (list.some((r) => r.format === 'lddw')) info |= LDDW | MARK;
  if ((code & 7) === BPF_JMP || (code & 7) === BPF_JMP32) info |= MARK;
  // The fields that pass the plain row's mask select it when they zero the match field and no matched row is for 0.
  const zeroes = field === 'src' ? ZERO_SRC : field === 'off' ? ZERO_OFF : field === 'imm' ? ZERO_IMM : 0;
  if (plain && (mask & zeroes) !== 0 && !matched.some((r) => r.match!.value === 0)) info |= PLAIN_FIRST;
  INFO[code] = info;
}

/**
 * decodeProgram, appending to `marks` (when given) the slot of every
 * jump-class instruction (jumps, calls, exit) and of every lddw in slot
 * order, and writing into `words` (when given) the slots as encodeInsns
 * encodes them (little-endian), two 32-bit words a slot.
 */
function decodeSlots(insns: readonly Insn[], marks: number[] | undefined, words: Int32Array | undefined): (Opcode | null)[] {
  const ops: (Opcode | null)[] = new Array(insns.length);
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i];
    // Each field read once (the loads, not the tests, are most of a slot's cost).
    const c = ins.code & 0xff, dst = ins.dst, src = ins.src, off = ins.off, imm = ins.imm;
    const failed = failedBits(dst, src, off, imm);
    const info = INFO[c];
    let row = PLAIN[c], m = info & 0x3f;
    const field = info >> MATCH_SHIFT & 3;
    // The row without a match first when it cannot take a matched row's instruction (PLAIN_FIRST): mov, div, mod.
    if (field !== 0 && ((info & PLAIN_FIRST) === 0 || (failed & m) !== 0)) {
      const v = field === MATCH_SRC ? src : field === MATCH_OFF ? off : imm;
      const { values, rows, masks } = MATCHED[c];
      for (let k = 0; k < values.length; k++) {
        if (values[k] === v) {
          row = rows[k];
          m = masks[k];
          break;
        }
      }
    }
    if (row === undefined || (failed & m) !== 0) {
      row = lookupOpcode(ins.code, ins.src, ins.off, ins.imm);
      if (!row) throw new InstructionError(i, unknownReason(ins));
      const problem = fieldProblem(row, ins);
      if (problem) throw new InstructionError(i, problem);
    }
    ops[i] = row;
    if (words !== undefined) {
      words[2 * i] = c | ((dst & 0xf) << 8) | ((src & 0xf) << 12) | (off << 16);
      words[2 * i + 1] = imm;
    }
    if (marks !== undefined && (info & MARK) !== 0) marks.push(i);
    if ((info & LDDW) !== 0) {
      const next = insns[i + 1];
      if (!next) throw new InstructionError(i, 'lddw is the last slot: its second half (the high 32 bits) is missing');
      if (next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
        throw new InstructionError(i + 1, `second slot of lddw must have opcode, dst, src and off all 0 (got opcode ${hex(next.code)})`);
      }
      ops[++i] = null;
      if (words !== undefined) {
        words[2 * i] = 0;
        words[2 * i + 1] = next.imm;
      }
    }
  }
  return ops;
}

/**
 * Check that every slot is a defined instruction with its reserved fields
 * zero, and that each LD_IMM64 has its second half. Returns each slot's row;
 * the second slot of an LD_IMM64 gets `null`.
 */
export function decodeProgram(insns: readonly Insn[]): (Opcode | null)[] {
  return decodeSlots(insns, undefined, undefined);
}

/** The slot a jump or local call at slot `i` names (pc-relative), or undefined for other instructions. */
export function jumpTarget(row: Opcode, ins: Insn, i: number): number | undefined {
  switch (row.format) {
    case 'jmp_reg': case 'jmp_imm': case 'ja': case 'may_goto': return i + ins.off + 1;
    case 'ja32': case 'call_local': return i + ins.imm + 1;
    default: return undefined;
  }
}

/**
 * `decodeProgram`, plus what an engine needs to run the program without a
 * verifier: it is not empty, every jump and local call lands on an
 * instruction of the program (not the second half of an lddw), and the last
 * instruction does not fall off the end. Throws InstructionError naming the slot.
 *
 * From the same pass, what an engine builds and keys a program by: `marks`
 * (when given) receives in slot order the slot of every instruction that
 * is not one slot of straight-line code, the jump-class ones (jumps, calls,
 * exit) and each lddw; `words` (when given, two per slot) receives the
 * slots as encodeInsns encodes them (little-endian) in 32-bit words.
 */
export function validateProgram(insns: readonly Insn[], marks: number[] = [], words?: Int32Array): (Opcode | null)[] {
  if (insns.length === 0) throw new InstructionError(0, 'the program is empty');
  if (words !== undefined && words.length !== 2 * insns.length) {
    throw new EbpfError('EINVAL', `words holds ${words.length} 32-bit words, not 2 for each of the ${insns.length} slots`);
  }
  const from = marks.length;
  const rows = decodeSlots(insns, marks, words);
  const n = insns.length;
  for (let k = from; k < marks.length; k++) {
    const i = marks[k];
    const row = rows[i]!;
    const to = jumpTarget(row, insns[i], i);
    if (to === undefined) continue;
    if (to < 0 || to >= n) throw new InstructionError(i, `${row.mnemonic} to ${to} leaves the program (instructions 0 to ${n - 1})`);
    if (rows[to] === null) throw new InstructionError(i, `${row.mnemonic} to ${to} lands in the middle of the lddw at ${to - 1}`);
  }
  const last = rows[n - 1];
  if (last === null || !(last.format === 'exit' || last.format === 'ja' || last.format === 'ja32')) {
    const at = last === null ? n - 2 : n - 1;
    throw new InstructionError(at, `${(last ?? rows[n - 2])!.mnemonic} is the last instruction: execution would fall off the end of the program (it must end with exit or a jump)`);
  }
  return rows;
}
