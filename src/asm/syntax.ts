/**
 * The spelling of the ISA table's rows in text: the table names each row
 * (`add32`, `jsle`, `ldxsh`, `lock fetch xor32`); this file only says how
 * those names are written in the kernel/LLVM syntax (`+=`, `s<=`, `s16`).
 * It lists no opcodes: rows are always found in the table by mnemonic and
 * format, and tests check that every row has a spelling here.
 */
import {
  BPF_ALU, BPF_ALU64, BPF_JMP32, BPF_MEMSX, BPF_TO_BE, OPCODES, bpfClass, bpfMode, bpfSize, bpfSrc, sizeBytes,
  type Format, type Opcode,
} from '../isa/index.js';

/** The table's rows by mnemonic (`add` has an alu_reg and an alu_imm row; `lddw` has one per pseudo source). */
const byMnemonic = new Map<string, Opcode[]>();
for (const row of OPCODES) {
  const list = byMnemonic.get(row.mnemonic) ?? [];
  list.push(row);
  byMnemonic.set(row.mnemonic, list);
}

export function rowsNamed(mnemonic: string): readonly Opcode[] {
  return byMnemonic.get(mnemonic) ?? [];
}

/** The row named `mnemonic` with this format (and, for lddw, this pseudo source). */
export function findRow(mnemonic: string, format: Format, src?: number): Opcode | undefined {
  return rowsNamed(mnemonic).find((r) => r.format === format && (src === undefined || r.match?.value === src));
}

/** Mnemonics that name the same row under another spelling (the conformance suite's `swap16` for `bswap16`). */
export function canonicalMnemonic(mnemonic: string): string {
  return /^swap(16|32|64)$/.test(mnemonic) ? `b${mnemonic}` : mnemonic;
}

/** C operator of each ALU mnemonic (the 64-bit name; the 32-bit one adds `32`). */
export const ALU_OPERATORS: Readonly<Record<string, string>> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', sdiv: 's/=', or: '|=', and: '&=', lsh: '<<=', rsh: '>>=',
  mod: '%=', smod: 's%=', xor: '^=', mov: '=', arsh: 's>>=',
};

/** C comparison of each conditional jump mnemonic. */
export const JMP_OPERATORS: Readonly<Record<string, string>> = {
  jeq: '==', jgt: '>', jge: '>=', jset: '&', jne: '!=', jsgt: 's>', jsge: 's>=', jlt: '<', jle: '<=',
  jslt: 's<', jsle: 's<=',
};

/** Operators of the atomic read-modify-write rows without fetch (`lock *(u64 *)(r1 +0) += r2`). */
export const ATOMIC_OPERATORS: Readonly<Record<string, string>> = { add: '+=', or: '|=', and: '&=', xor: '^=' };

/** Mnemonic suffix of each access width (`ldxb`, `stxdw`). */
export const SIZE_SUFFIX: Readonly<Record<number, string>> = { 8: 'b', 16: 'h', 32: 'w', 64: 'dw' };

export function invert(map: Readonly<Record<string, string>>): Map<string, string> {
  return new Map(Object.entries(map).map(([k, v]) => [v, k]));
}

/** What a row's name and encoding say, in the pieces the printers need. */
export interface RowShape {
  /** The operation without width suffix: `add`, `movsx`, `jsle`, `be`, `xchg`. */
  readonly base: string;
  /** 64-bit class (ALU64, JMP) rather than ALU/JMP32; for memory rows, a 64-bit access. */
  readonly wide: boolean;
  /** Memory rows: access width in bits. movsx: source width. Endian rows: the swap width. */
  readonly bits: number;
  /** ldx: sign-extending load. */
  readonly signed: boolean;
  /** Atomics: the fetch form. */
  readonly fetch: boolean;
}

const shapes = new Map<Opcode, RowShape>();

/** Split a row's mnemonic and code into the pieces the printers need (cached per row). */
export function rowShape(row: Opcode): RowShape {
  let shape = shapes.get(row);
  if (!shape) {
    shape = computeShape(row);
    shapes.set(row, shape);
  }
  return shape;
}

function computeShape(row: Opcode): RowShape {
  const cls = bpfClass(row.code);
  const plain = { signed: false, fetch: false };
  switch (row.format) {
    case 'alu_reg': case 'alu_imm': case 'neg': {
      const wide = cls === BPF_ALU64;
      const movsx = /^movsx(8|16|32)(32|64)$/.exec(row.mnemonic);
      if (movsx) return { base: 'movsx', wide, bits: Number(movsx[1]), ...plain };
      return { base: wide ? row.mnemonic : row.mnemonic.replace(/32$/, ''), wide, bits: wide ? 64 : 32, ...plain };
    }
    case 'endian': {
      const base = cls === BPF_ALU ? (bpfSrc(row.code) === BPF_TO_BE ? 'be' : 'le') : 'bswap';
      return { base, wide: cls === BPF_ALU64, bits: row.match!.value, ...plain };
    }
    case 'jmp_reg': case 'jmp_imm': {
      const wide = cls !== BPF_JMP32;
      return { base: wide ? row.mnemonic : row.mnemonic.replace(/32$/, ''), wide, bits: wide ? 64 : 32, ...plain };
    }
    case 'ldx': case 'st': case 'stx': case 'ldabs': case 'ldind': {
      const bits = sizeBytes(bpfSize(row.code)) * 8;
      return { base: row.format, wide: bits === 64, bits, signed: bpfMode(row.code) === BPF_MEMSX, fetch: false };
    }
    case 'atomic': {
      const m = /^lock (fetch )?([a-z]+?)(32)?$/.exec(row.mnemonic)!;
      const bits = sizeBytes(bpfSize(row.code)) * 8;
      return { base: m[2], wide: bits === 64, bits, signed: false, fetch: m[1] !== undefined };
    }
    default:
      return { base: row.mnemonic, wide: true, bits: 64, ...plain };
  }
}
