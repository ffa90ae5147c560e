/**
 * Random programs the kernel verifier accepts, for the interpreter-vs-kernel
 * differential harness. The instructions come from the ISA table (every ALU
 * op 32/64-bit with div/mod/sdiv/smod/movsx/bswap/endian, every JMP and
 * JMP32 compare, loads, sign-extending loads, stores and atomics of all
 * sizes, lddw, bpf-to-bpf calls); the shape keeps them verifiable:
 *
 * - r9 holds the input memory (copied from r1), r10 the stack; neither is
 *   ever an operand of ALU or jumps, so no pointer leaks into the result.
 * - every other register and a 64-byte stack window are initialised first,
 *   so nothing reads uninitialised state;
 * - jumps only go forward, within their function; immediate shifts stay in
 *   range and immediate divisors are non-zero (the kernel rejects both);
 * - stack and atomic accesses are naturally aligned (the kernel insists),
 *   input-memory loads and stores may be unaligned;
 * - subprograms are leaves, called from main with r1 = the memory; after a
 *   call r1-r5 are written again (the kernel considers them clobbered);
 * - at the end r0 folds in every register and the stack window, so a
 *   difference anywhere shows in the result.
 */
import fc from 'fast-check';
import {
  BPF_ALU64, BPF_ARSH, BPF_CALL, BPF_DIV, BPF_DW, BPF_EXIT, BPF_JMP, BPF_K, BPF_LDX, BPF_LSH, BPF_MEM, BPF_MOD,
  BPF_MOV, BPF_PSEUDO_CALL, BPF_RSH, BPF_STX, BPF_X, BPF_XOR, OPCODES, bpfClass, bpfOp, ldImm64, sizeBytes,
  type Insn, type Opcode,
} from '../../src/isa/index.js';

/** Bytes of input memory every generated program gets. */
export const MEM_SIZE = 64;
/** The stack window the prologue initialises, below r10. */
const STACK_WINDOW = 64;
const BASE = 9;
const FP = 10;
/** Registers the body may read and write. */
const DATA = [0, 1, 2, 3, 4, 5, 6, 7, 8];

/** A jump names how many items to skip; it is resolved to slots when the function is laid out. */
type Item =
  | { kind: 'insns'; insns: Insn[] }
  | { kind: 'jump'; insn: Insn; skip: number; field: 'off' | 'imm'; guard?: Insn }
  | { kind: 'call'; callee: number; reinit: number[] };

export interface GenProgram {
  main: Item[];
  subs: Item[][];
  /** Initial values: r0, r1, r3..r8 of main, then the stack window's eight u64s. */
  seeds: bigint[];
}

/** The rows the generator draws from, straight from the ISA table. */
function rowsWhere(pred: (r: Opcode) => boolean): Opcode[] {
  return OPCODES.filter(pred);
}

const ALU_ROWS = rowsWhere((r) => ['alu_reg', 'alu_imm', 'neg', 'endian'].includes(r.format));
const JMP_ROWS = rowsWhere((r) => ['jmp_reg', 'jmp_imm', 'ja', 'ja32'].includes(r.format));
const MEM_ROWS = rowsWhere((r) => ['ldx', 'st', 'stx', 'atomic'].includes(r.format));

const int32 = fc.oneof(
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.integer({ min: -16, max: 16 }),
  fc.constantFrom(0x7fffffff, -0x80000000, -1, 0xffff, 0x8000, 0x80, 0xff),
);
const u64 = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 0n, max: 0xffn }),
  fc.constantFrom(0n, 1n, (1n << 63n), (1n << 64n) - 1n, 0x80000000n, 0xffffffffn, (1n << 63n) - 1n),
);
const dataReg = fc.constantFrom(...DATA);

function aluItem(row: Opcode): fc.Arbitrary<Item> {
  const is64 = bpfClass(row.code) === BPF_ALU64;
  const op = bpfOp(row.code);
  const off = row.match?.field === 'off' ? row.match.value : 0;
  const imm = (() => {
    if (row.format === 'endian') return fc.constant(row.match!.value);
    if (row.format !== 'alu_imm') return fc.constant(0);
    if (op === BPF_LSH || op === BPF_RSH || op === BPF_ARSH) return fc.integer({ min: 0, max: is64 ? 63 : 31 });
    if (op === BPF_DIV || op === BPF_MOD) return int32.filter((v) => v !== 0);
    return int32;
  })();
  const src = row.format === 'alu_reg' ? dataReg : fc.constant(0);
  return fc.record({ dst: dataReg, src, imm }).map(({ dst, src: s, imm: i }): Item => ({
    kind: 'insns', insns: [{ code: row.code, dst, src: s, off, imm: i }],
  }));
}

const CONDITIONAL_ROWS = JMP_ROWS.filter((r) => r.format === 'jmp_reg' || r.format === 'jmp_imm');

function conditional(row: Opcode): fc.Arbitrary<Insn> {
  const src = row.format === 'jmp_reg' ? dataReg : fc.constant(0);
  const imm = row.format === 'jmp_imm' ? int32 : fc.constant(0);
  return fc.record({ dst: dataReg, src, imm }).map(({ dst, src: s, imm: i }) => ({ code: row.code, dst, src: s, off: 0, imm: i }));
}

/**
 * A forward jump. An unconditional one comes after a conditional jump over
 * it, so that what it skips stays reachable (the kernel rejects dead code).
 */
function jumpItem(row: Opcode): fc.Arbitrary<Item> {
  const skip = fc.integer({ min: 0, max: 8 });
  if (row.format === 'ja' || row.format === 'ja32') {
    const guard = fc.constantFrom(...CONDITIONAL_ROWS).chain(conditional).map((g) => ({ ...g, off: 1 }));
    return fc.record({ guard, skip }).map(({ guard: g, skip: n }): Item => ({
      kind: 'jump', insn: { code: row.code, dst: 0, src: 0, off: 0, imm: 0 }, skip: n, field: row.format === 'ja32' ? 'imm' : 'off', guard: g,
    }));
  }
  return fc.record({ insn: conditional(row), skip }).map(({ insn, skip: n }): Item => ({ kind: 'jump', insn, skip: n, field: 'off' }));
}

/** An offset into the stack window or the input memory for an access of `size` bytes. */
function offsetArb(base: number, size: number, aligned: boolean): fc.Arbitrary<number> {
  if (base === FP) return fc.integer({ min: 0, max: STACK_WINDOW / size - 1 }).map((k) => -STACK_WINDOW + k * size);
  if (aligned) return fc.integer({ min: 0, max: MEM_SIZE / size - 1 }).map((k) => k * size);
  return fc.integer({ min: 0, max: MEM_SIZE - size });
}

function memItem(row: Opcode): fc.Arbitrary<Item> {
  const size = sizeBytes(row.code & 0x18);
  return fc.constantFrom(BASE, FP).chain((base) => {
    const aligned = row.format === 'atomic';
    const off = offsetArb(base, size, aligned);
    switch (row.format) {
      case 'ldx':
        return fc.record({ dst: dataReg, off }).map(({ dst, off: o }): Item => ({ kind: 'insns', insns: [{ code: row.code, dst, src: base, off: o, imm: 0 }] }));
      case 'st':
        return fc.record({ off, imm: int32 }).map(({ off: o, imm }): Item => ({ kind: 'insns', insns: [{ code: row.code, dst: base, src: 0, off: o, imm }] }));
      default: // stx, atomic
        return fc.record({ src: dataReg, off }).map(({ src, off: o }): Item => ({
          kind: 'insns', insns: [{ code: row.code, dst: base, src, off: o, imm: row.match?.field === 'imm' ? row.match.value : 0 }],
        }));
    }
  });
}

const lddwItem: fc.Arbitrary<Item> = fc.record({ dst: dataReg, value: u64 }).map(({ dst, value }): Item => ({ kind: 'insns', insns: ldImm64(dst, value) }));

const bodyItem: fc.Arbitrary<Item> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ALU_ROWS).chain(aluItem) },
  { weight: 2, arbitrary: fc.constantFrom(...JMP_ROWS).chain(jumpItem) },
  { weight: 3, arbitrary: fc.constantFrom(...MEM_ROWS).chain(memItem) },
  { weight: 1, arbitrary: lddwItem },
);

/** A call of subprogram `callee` (modulo how many there are; dropped when there are none). */
const callItem: fc.Arbitrary<Item> = fc.record({ callee: fc.integer({ min: 0, max: 1 }), reinit: fc.array(int32, { minLength: 5, maxLength: 5 }) })
  .map(({ callee, reinit }): Item => ({ kind: 'call', callee, reinit }));

/** The arbitrary program: main (up to `maxItems` items) and up to two leaf subprograms. */
export function programArb(maxItems = 40): fc.Arbitrary<GenProgram> {
  return fc.record({
    main: fc.array(fc.oneof({ weight: 12, arbitrary: bodyItem }, { weight: 1, arbitrary: callItem }), { maxLength: maxItems }),
    subs: fc.array(fc.array(bodyItem, { maxLength: Math.ceil(maxItems / 3) }), { maxLength: 2 }),
    seeds: fc.array(u64, { minLength: 16, maxLength: 16 }),
  });
}

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });
const movReg = (dst: number, src: number) => I(BPF_ALU64 | BPF_MOV | BPF_X, dst, src);
const movImm = (dst: number, imm: number) => I(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
const xorReg = (dst: number, src: number) => I(BPF_ALU64 | BPF_XOR | BPF_X, dst, src);
const stxdw = (dst: number, src: number, off: number) => I(BPF_STX | BPF_MEM | BPF_DW, dst, src, off);
const ldxdw = (dst: number, src: number, off: number) => I(BPF_LDX | BPF_MEM | BPF_DW, dst, src, off);
const EXIT = I(BPF_JMP | BPF_EXIT);

/** `dst = value`: a mov when the value is a sign-extended 32-bit immediate, else lddw. */
function constant(dst: number, value: bigint): Insn[] {
  const s32 = BigInt.asIntN(32, value);
  return BigInt.asUintN(64, s32) === value ? [movImm(dst, Number(s32))] : ldImm64(dst, value);
}

/** Initialise `regs` and the stack window from `seeds`. */
function prologue(regs: readonly number[], seeds: readonly bigint[]): Insn[] {
  const out: Insn[] = [movReg(BASE, 1)];
  regs.forEach((r, i) => out.push(...constant(r, seeds[i % seeds.length])));
  for (let k = 0; k < STACK_WINDOW / 8; k++) {
    out.push(...constant(0, seeds[(regs.length + k) % seeds.length]), stxdw(FP, 0, -8 * (k + 1)));
  }
  out.push(...constant(0, seeds[0]));
  return out;
}

/** r0 ^= every register in `regs` and every stack slot of the window (through r1 in main, r6 in subprograms). */
function fold(regs: readonly number[], scratch: number): Insn[] {
  const out = regs.map((r) => xorReg(0, r));
  for (let k = 0; k < STACK_WINDOW / 8; k++) out.push(ldxdw(scratch, FP, -8 * (k + 1)), xorReg(0, scratch));
  out.push(EXIT);
  return out;
}

/** Lay out one function: items, with jumps resolved to its epilogue at the latest. */
function layout(items: readonly Item[], start: number, calls: { at: number; callee: number }[]): Insn[] {
  const sizes = items.map((it) => (it.kind === 'insns' ? it.insns.length : it.kind === 'jump' ? (it.guard ? 2 : 1) : 2 + 5));
  const starts: number[] = [];
  let slot = start;
  for (const s of sizes) {
    starts.push(slot);
    slot += s;
  }
  const end = slot;
  const out: Insn[] = [];
  items.forEach((it, i) => {
    if (it.kind === 'insns') out.push(...it.insns);
    else if (it.kind === 'jump') {
      const targetItem = i + 1 + it.skip;
      const target = targetItem < items.length ? starts[targetItem] : end;
      const at = starts[i] + (it.guard ? 1 : 0);
      const rel = target - at - 1;
      if (it.guard) out.push(it.guard);
      out.push(it.field === 'imm' ? { ...it.insn, imm: rel } : { ...it.insn, off: rel });
    } else {
      calls.push({ at: starts[i] + 1, callee: it.callee });
      out.push(movReg(1, BASE), I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0));
      it.reinit.forEach((v, k) => out.push(movImm(k + 1, v)));
    }
  });
  return out;
}

/** The instructions of a generated program. */
export function compile(p: GenProgram): Insn[] {
  const calls: { at: number; callee: number }[] = [];
  const mainRegs = [0, 1, 3, 4, 5, 6, 7, 8];
  const head = prologue(mainRegs, p.seeds);
  const out: Insn[] = [...head];
  const nsubs = p.subs.length;
  const main = p.main.flatMap((it): Item[] => (it.kind !== 'call' ? [it] : nsubs ? [{ ...it, callee: it.callee % nsubs }] : []));
  // A subprogram nobody calls would be dead code, which the kernel rejects: call each one at least once.
  const called = new Set(main.flatMap((it) => (it.kind === 'call' ? [it.callee] : [])));
  const uncalled: Item[] = p.subs.flatMap((_, j) => (called.has(j) ? [] : [{ kind: 'call' as const, callee: j, reinit: [1, 2, 3, 4, 5] }]));
  out.push(...layout([...main, ...uncalled], out.length, calls));
  out.push(...fold([1, 2, 3, 4, 5, 6, 7, 8], 1));
  const subStarts: number[] = [];
  p.subs.forEach((items, j) => {
    subStarts.push(out.length);
    const subHead = prologue([0, 1, 6, 7, 8], p.seeds.slice(j + 1).concat(p.seeds.slice(0, j + 1)));
    out.push(...subHead);
    out.push(...layout(items, out.length, []));
    out.push(...fold([1, 2, 3, 4, 5, 6, 7, 8], 6));
  });
  for (const c of calls) out[c.at] = { ...out[c.at], imm: subStarts[c.callee] - c.at - 1 };
  return out;
}
