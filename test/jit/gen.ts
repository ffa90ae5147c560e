/**
 * Random programs for the interpreter-vs-JIT differential test. Unlike the
 * kernel harness's generator (test/diff/gen.ts) these need not verify: both
 * engines run them in unchecked mode, so they may fault, jump into the
 * middle of loops (irreducible graphs), recurse until the call depth runs
 * out, or jump from one function into another. What keeps them comparable:
 *
 * - r9 holds the input address and r10 the frame pointer; nothing writes
 *   r9, and r10 only rarely (unchecked mode allows it, and frame accesses
 *   follow it): a step within the stack, onto the input, or to a wide
 *   value. A third base, far, is loaded into r5 just before its access: near
 *   the end of the memory, so most of those accesses fault. A fourth, wide,
 *   is a 64-bit value around 4 GiB or just below 2^64, so that the sum with
 *   the offset crosses 4 GiB or wraps to a small address: the interpreter
 *   faults on every sum of 4 GiB or more, and the JIT must too (its wasm
 *   addresses are 32-bit). A fifth, held, is whatever one of r0–r5 holds:
 *   often an address a map lookup or an lddw left there blocks before, or
 *   that a subprogram got as an argument (the JIT leaves out its 4 GiB
 *   checks of those: src/jit/pointers.ts).
 * - r6 and r7 count structured loops (two nesting levels), r8 is the fuel
 *   of "wild" jumps to any slot of the program: each costs one unit, so
 *   every run ends (a jump into a loop's body finds its counter at most
 *   where it left it, and a spent counter leaves the loop at once).
 * - everything comes from the ISA table: ALU (every op, 32/64-bit,
 *   div/mod/sdiv/smod by anything, movsx, bswap, endian), conditional jumps
 *   (JMP and JMP32), loads and stores of every size with sign extension,
 *   atomics (sometimes misaligned), lddw, LD_ABS/LD_IND on the input as
 *   the packet, helper calls (intrinsics, a generic BigInt helper, one that
 *   fails, an unknown id), callx, bpf-to-bpf calls.
 */
import fc from 'fast-check';
import {
  BPF_ABS, BPF_ADD, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_B, BPF_CALL, BPF_DW, BPF_EXIT, BPF_H, BPF_IND, BPF_JA, BPF_JEQ, BPF_JMP, BPF_JSGT, BPF_K, BPF_LD, BPF_LDX, BPF_LSH, BPF_RSH,
  BPF_MOV, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_ST, BPF_STX, BPF_MEM, BPF_SUB, BPF_W, BPF_X, OPCODES, ldImm64, sizeBytes, type Insn, type Opcode,
} from '../../src/isa/index.js';
import { DIFF_MAPS, HELPER_FAILS, HELPER_MIX, INPUT_SIZE } from './diff-engine.js';

/** Where far accesses go: 24 bytes below the end of a 1 MiB memory. */
export const FAR = 0x100000 - 24;
const UNKNOWN_HELPER = 4242;
const BPF_FUNC_LOOP = 181;
const BPF_FUNC_TAIL_CALL = 12;

const ALU_ROWS = OPCODES.filter((r) => ['alu_reg', 'alu_imm', 'neg', 'endian'].includes(r.format));
const COND_ROWS = OPCODES.filter((r) => r.format === 'jmp_reg' || r.format === 'jmp_imm');
const MEM_ROWS = OPCODES.filter((r) => ['ldx', 'st', 'stx', 'atomic'].includes(r.format));

export type Op =
  | { kind: 'insn'; insns: Insn[] }
  /** A conditional jump over what follows, up to the matching close. */
  | { kind: 'if'; insn: Insn }
  /** A counted loop around what follows, up to the matching close. */
  | { kind: 'loop'; count: number }
  | { kind: 'close' }
  /** A conditional jump into the body of the next loop, past its header: an irreducible graph. */
  | { kind: 'enter'; insn: Insn }
  /** A jump to slot `where` (a fraction of the program's body slots). */
  | { kind: 'wild'; where: number; cond: Insn }
  /** A call of subprogram `callee` (a fraction of the subprograms after this function; sometimes itself). */
  | { kind: 'call'; callee: number; self: boolean }
  /** bpf_loop(count, subprogram `callee`, 0, 0): a callback, as a call. */
  | { kind: 'bpfLoop'; callee: number; count: number };

export interface GenProgram {
  main: Op[];
  subs: Op[][];
  /** r0–r5 at entry. */
  regs: bigint[];
  /** Initial wild-jump fuel (r8). */
  wild: number;
  input: Uint8Array;
  /**
   * Laid out for the verifier (verifiedProgramArb): main calls every
   * subprogram before it ends, each subprogram sets r0 first, and main
   * stores only the registers that are always initialised.
   */
  verified?: boolean;
  /** Verified shape only: main ends with bpf_tail_call(ctx, map 0 (a prog_array), tail) before it stores its registers. */
  tail?: number;
}

const int32 = fc.oneof(
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.integer({ min: -40, max: 40 }),
  fc.constantFrom(0x7fffffff, -0x80000000, -1, 0, 1, 8, 16, 31, 32, 63, 64, 0xffff, 0x8000, 0xff),
);
const u64 = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 0n, max: 0x1ffn }),
  fc.constantFrom(0n, 1n, 1n << 63n, (1n << 64n) - 1n, 0x80000000n, 0xffffffffn, (1n << 63n) - 1n, 0xffffffff80000000n),
);
/** Registers ALU results and loads may write. */
const writable = fc.integer({ min: 0, max: 5 });
/** Registers that may be read. */
const readable = fc.integer({ min: 0, max: 10 });

/** Registers a verified program reads: r6–r9 are uninitialised in a subprogram, r10 is a pointer. */
const verifiedReadable = fc.integer({ min: 0, max: 5 });
const SHIFTS = [BPF_LSH, BPF_RSH, BPF_ARSH];

/** `verified`: registers from verifiedReadable, shift amounts below the operand's width. */
function aluOp(row: Opcode, verified = false): fc.Arbitrary<Op> {
  const off = row.match?.field === 'off' ? row.match.value : 0;
  const width = (row.code & 7) === BPF_ALU64 ? 64 : 32;
  const shift = verified && row.format === 'alu_imm' && SHIFTS.includes(row.code & 0xf0);
  const imm = row.format === 'endian' ? fc.constant(row.match!.value) : shift ? fc.integer({ min: 0, max: width - 1 }) : row.format === 'alu_imm' ? int32 : fc.constant(0);
  const src = row.format === 'alu_reg' ? (verified ? verifiedReadable : readable) : fc.constant(0);
  return fc.record({ dst: writable, src, imm }).map((f): Op => ({ kind: 'insn', insns: [{ code: row.code, dst: f.dst, src: f.src, off, imm: f.imm }] }));
}

function condInsn(row: Opcode, verified = false): fc.Arbitrary<Insn> {
  const regs = verified ? verifiedReadable : readable;
  return fc.record({
    dst: regs,
    src: row.format === 'jmp_reg' ? regs : fc.constant(0),
    imm: row.format === 'jmp_imm' ? int32 : fc.constant(0),
  }).map((f) => ({ code: row.code, dst: f.dst, src: f.src, off: 0, imm: f.imm }));
}

/**
 * Base register and offset of an access of `size` bytes; far loads r5 first. A held base (-3) is whatever
 * one of r0–r5 holds, often a lookup's value or a pointerOp's address set blocks earlier (or passed to a
 * subprogram), the JIT's PointerFacts.
 */
const place = (size: number, atomic: boolean) => fc.record({
  base: fc.oneof(
    { weight: 10, arbitrary: fc.constant(10) }, { weight: 8, arbitrary: fc.constant(9) }, { weight: 2, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.constant(-2) },
    { weight: 3, arbitrary: fc.constant(-3) },
  ),
  held: writable,
  heldOff: fc.integer({ min: -40, max: 40 }),
  stackOff: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -512, max: -1 }) }, { weight: 1, arbitrary: fc.integer({ min: -700, max: 120 }) }),
  inputOff: fc.integer({ min: -24, max: INPUT_SIZE + 24 }),
  farOff: fc.integer({ min: 0, max: 40 }),
  wide: fc.constantFrom(1n << 32n, 1n << 64n, (1n << 32n) + BigInt(FAR)).chain((at) => fc.bigInt({ min: at - 48n, max: at + 8n })),
  wideOff: fc.integer({ min: -48, max: 48 }),
  misalign: fc.oneof({ weight: 15, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
}).map((p) => {
  let off = p.base === 10 ? p.stackOff : p.base === 9 ? p.inputOff : p.base === -1 ? p.farOff : p.base === -2 ? p.wideOff : p.heldOff;
  if (atomic && !p.misalign) off = Math.floor(off / size) * size;
  const pre = p.base === -1 ? ldImm64(5, BigInt(FAR)) : p.base === -2 ? ldImm64(5, BigInt.asUintN(64, p.wide)) : [];
  return { pre, base: p.base === -3 ? p.held : p.base < 0 ? 5 : p.base, off };
});

function memOp(row: Opcode): fc.Arbitrary<Op> {
  const size = sizeBytes(row.code & 0x18);
  const atomic = row.format === 'atomic';
  return fc.record({ at: place(size, atomic), reg: writable, any: readable, imm: int32 }).map(({ at, reg, any, imm }): Op => {
    const ins: Insn = (() => {
      switch (row.format) {
        case 'ldx': return { code: row.code, dst: reg, src: at.base, off: at.off, imm: 0 };
        case 'st': return { code: row.code, dst: at.base, src: 0, off: at.off, imm };
        case 'stx': return { code: row.code, dst: at.base, src: any, off: at.off, imm: 0 };
        // A fetching atomic writes src: a writable register (not r5 when far holds the base).
        default: return { code: row.code, dst: at.base, src: at.base === 5 && reg === 5 ? 0 : reg, off: at.off, imm: row.match!.value };
      }
    })();
    return { kind: 'insn', insns: [...at.pre, ins] };
  });
}

const packetOp: fc.Arbitrary<Op> = fc.record({
  ind: fc.boolean(),
  size: fc.constantFrom(BPF_B, BPF_H, BPF_W),
  src: writable,
  imm: fc.oneof(fc.integer({ min: -4, max: INPUT_SIZE + 4 }), int32),
}).map(({ ind, size, src, imm }): Op => ({
  kind: 'insn', insns: [{ code: BPF_LD | (ind ? BPF_IND : BPF_ABS) | size, dst: 0, src: ind ? src : 0, off: 0, imm }],
}));

const helperOp: fc.Arbitrary<Op> = fc.record({
  id: fc.constantFrom(5, 7, 8, HELPER_MIX, HELPER_MIX, HELPER_FAILS, UNKNOWN_HELPER),
  viaCallx: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
}).map(({ id, viaCallx }): Op => ({
  kind: 'insn',
  insns: viaCallx
    ? [{ code: BPF_ALU64 | BPF_MOV | BPF_K, dst: 5, src: 0, off: 0, imm: id === UNKNOWN_HELPER ? -1 : id }, { code: BPF_JMP | BPF_CALL | BPF_X, dst: 5, src: 0, off: 0, imm: 0 }]
    : [{ code: BPF_JMP | BPF_CALL, dst: 0, src: 0, off: 0, imm: id }],
}));

/** A move of r10 (see the module comment). */
const fpOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -80, max: 80 }).map((k): Op => ({ kind: 'insn', insns: [{ code: BPF_ALU64 | BPF_ADD | BPF_K, dst: 10, src: 0, off: 0, imm: k }] })) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'insn', insns: [{ code: BPF_ALU64 | BPF_MOV | BPF_X, dst: 10, src: 9, off: 0, imm: 0 }] }) },
  { weight: 1, arbitrary: fc.constantFrom(1n << 32n, 1n << 64n).chain((at) => fc.bigInt({ min: at - 16n, max: at + 16n })).map((v): Op => ({ kind: 'insn', insns: ldImm64(10, BigInt.asUintN(64, v)) })) },
);

const BPF_FUNC_MAP = { lookup: 1, update: 2, delete: 3 } as const;

/** Where mapOp stores a small key (0–5: an array's index, an LPM trie's prefix length), so that keys recur. */
const KEY_SLOT = -504;

/**
 * How a map helper's r1 gets the map: an lddw just before (the JIT specialises on the map), through a
 * copy (r5), in an earlier block (a jump to the next slot ends the block: the map's type is found at run
 * time), or off the map's address (not a map: the helper's error).
 */
const mapRef = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'direct' as const, off: 0 }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'moved' as const, off: 0 }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'split' as const, off: 0 }) },
  { weight: 1, arbitrary: fc.integer({ min: -16, max: 16 }).map((off) => ({ kind: 'offset' as const, off })) },
);

/**
 * A map helper on one of DIFF_MAPS (an lddw of BPF_PSEUDO_MAP_FD, reaching r1 as mapRef says): its key,
 * mostly a small one stored at KEY_SLOT, else where `place` puts an access (in the frame, the input, far
 * or wide: a key of 4 GiB or more is the helper's fault), an update's value where `place` puts one;
 * after a lookup, an access through the value's address when there is one.
 */
const mapOp: fc.Arbitrary<Op> = fc.record({
  map: fc.integer({ min: 0, max: DIFF_MAPS.length - 1 }),
  helper: fc.constantFrom<keyof typeof BPF_FUNC_MAP>('lookup', 'lookup', 'update', 'update', 'delete'),
  key: fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 5 }).map((k) => ({ pre: [I(BPF_ST | BPF_MEM | BPF_DW, 10, 0, KEY_SLOT, k)], base: 10, off: KEY_SLOT })) },
    { weight: 2, arbitrary: place(8, false) },
  ),
  value: place(8, false),
  flags: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 2) }, { weight: 1, arbitrary: int32 }),
  use: fc.record({ row: fc.constantFrom(...MEM_ROWS.filter((r) => r.format === 'ldx' || r.format === 'stx')), off: fc.integer({ min: -8, max: 16 }), reg: readable }),
  ref: mapRef,
}).map(({ map, helper, key, value, flags, use, ref }): Op => {
  const pointer = (r: number, at: { pre: Insn[]; base: number; off: number }) =>
    [...at.pre, I(BPF_ALU64 | BPF_MOV | BPF_X, r, at.base), I(BPF_ALU64 | BPF_ADD | BPF_K, r, 0, 0, at.off)];
  const insns = [...pointer(2, key), ...(helper === 'update' ? pointer(3, value) : [])];
  if (ref.kind === 'moved') insns.push(...ldImm64(5, BigInt(map), BPF_PSEUDO_MAP_FD), I(BPF_ALU64 | BPF_MOV | BPF_X, 1, 5));
  else insns.push(...ldImm64(1, BigInt(map), BPF_PSEUDO_MAP_FD));
  if (ref.kind === 'offset') insns.push(I(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, ref.off));
  if (ref.kind === 'split') insns.push(I(BPF_JMP | BPF_JA, 0, 0, 0));
  insns.push(I(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, flags), I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_MAP[helper]));
  if (helper === 'lookup') {
    const access = use.row.format === 'ldx' ? I(use.row.code, 1, 0, use.off) : I(use.row.code, 0, use.reg, use.off);
    insns.push(I(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), access);
  }
  return { kind: 'insn', insns };
});

const lddwOp: fc.Arbitrary<Op> = fc.record({ dst: writable, value: u64 }).map(({ dst, value }): Op => ({ kind: 'insn', insns: ldImm64(dst, value) }));

/**
 * An address in one of r0–r5 for a held base (place): in the memory (from its first 64 KiB to past its
 * end), by an lddw or a mov, sometimes moved or offset once more; or such an address plus 4 GiB (an lddw),
 * whose low half is in the memory: an access through it must fault.
 */
const pointerOp: fc.Arbitrary<Op> = fc.record({
  dst: writable,
  at: fc.oneof(fc.integer({ min: 0x10000, max: 0x10100 }), fc.integer({ min: FAR - 64, max: FAR + 64 })),
  how: fc.constantFrom('mov', 'lddw', 'lddw', 'wide'),
  then: fc.oneof(fc.constant(undefined), fc.record({ to: writable, add: fc.integer({ min: -48, max: 48 }) })),
}).map(({ dst, at, how, then }): Op => ({
  kind: 'insn',
  insns: [
    ...(how === 'mov' ? [I(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, at)] : ldImm64(dst, BigInt(at) + (how === 'wide' ? 1n << 32n : 0n))),
    ...(then ? [I(BPF_ALU64 | BPF_MOV | BPF_X, then.to, dst), I(BPF_ALU64 | BPF_ADD | BPF_K, then.to, 0, 0, then.add)] : []),
  ],
}));

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 14, arbitrary: fc.constantFrom(...ALU_ROWS).chain(aluOp) },
  { weight: 7, arbitrary: fc.constantFrom(...MEM_ROWS).chain(memOp) },
  { weight: 1, arbitrary: lddwOp },
  { weight: 3, arbitrary: fc.constantFrom(...COND_ROWS).chain(condInsn).map((insn): Op => ({ kind: 'if', insn })) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 6 }).map((count): Op => ({ kind: 'loop', count })) },
  { weight: 3, arbitrary: fc.constant<Op>({ kind: 'close' }) },
  { weight: 2, arbitrary: fc.record({ where: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), cond: fc.constantFrom(...COND_ROWS).chain(condInsn) }).map((w): Op => ({ kind: 'wild', ...w })) },
  { weight: 2, arbitrary: fc.constantFrom(...COND_ROWS).chain(condInsn).map((insn): Op => ({ kind: 'enter', insn })) },
  { weight: 1, arbitrary: packetOp },
  { weight: 1, arbitrary: helperOp },
  { weight: 1, arbitrary: fpOp },
  { weight: 2, arbitrary: mapOp },
  { weight: 1, arbitrary: pointerOp },
);

const callOp: fc.Arbitrary<Op> = fc.record({
  callee: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  self: fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
}).map((c): Op => ({ kind: 'call', ...c }));

export function programArb(maxOps = 40): fc.Arbitrary<GenProgram> {
  const body = fc.array(fc.oneof({ weight: 12, arbitrary: op }, { weight: 1, arbitrary: callOp }), { maxLength: maxOps });
  return fc.record({
    main: body,
    subs: fc.array(fc.array(fc.oneof({ weight: 12, arbitrary: op }, { weight: 1, arbitrary: callOp }), { maxLength: Math.ceil(maxOps / 2) }), { maxLength: 3 }),
    regs: fc.array(u64, { minLength: 6, maxLength: 6 }),
    wild: fc.integer({ min: 0, max: 3 }),
    input: fc.uint8Array({ minLength: INPUT_SIZE, maxLength: INPUT_SIZE }),
  });
}

/** A stack access the verifier allows: aligned, in the frame's top 128 bytes (four frames stay within the 512 bytes of a call chain). */
const stackPlace = (size: number) => fc.integer({ min: 1, max: 128 / size }).map((k) => ({ pre: [] as Insn[], base: 10, off: -k * size }));

function verifiedMemOp(row: Opcode): fc.Arbitrary<Op> {
  const size = sizeBytes(row.code & 0x18);
  return fc.record({ at: stackPlace(size), reg: writable, any: verifiedReadable, imm: int32 }).map(({ at, reg, any, imm }): Op => {
    switch (row.format) {
      case 'ldx': return { kind: 'insn', insns: [{ code: row.code, dst: reg, src: 10, off: at.off, imm: 0 }] };
      case 'st': return { kind: 'insn', insns: [{ code: row.code, dst: 10, src: 0, off: at.off, imm }] };
      case 'stx': return { kind: 'insn', insns: [{ code: row.code, dst: 10, src: any, off: at.off, imm: 0 }] };
      default: return { kind: 'insn', insns: [{ code: row.code, dst: 10, src: reg, off: at.off, imm: row.match!.value }] };
    }
  });
}

/** Helpers every program type may call: ktime_get_ns, get_prandom_u32, get_smp_processor_id. */
const verifiedHelperOp: fc.Arbitrary<Op> = fc.constantFrom(5, 7, 8).map((id): Op => ({ kind: 'insn', insns: [{ code: BPF_JMP | BPF_CALL, dst: 0, src: 0, off: 0, imm: id }] }));

/**
 * A map helper as a verified program calls it, on one of DIFF_MAPS (the caller verifies with them): the
 * key, and an update's value, stored in the frame first; after a lookup, a load or store through the
 * value's address when there is one.
 */
const verifiedMapOp: fc.Arbitrary<Op> = fc.record({
  map: fc.integer({ min: 0, max: DIFF_MAPS.length - 1 }),
  helper: fc.constantFrom<keyof typeof BPF_FUNC_MAP>('lookup', 'lookup', 'update', 'update', 'delete'),
  key: fc.integer({ min: 0, max: 5 }),
  keyAt: stackPlace(8),
  value: int32,
  valueAt: stackPlace(8),
  flags: fc.constantFrom(0, 1, 2),
  store: fc.boolean(),
}).map(({ map, helper, key, keyAt, value, valueAt, flags, store }): Op => {
  const insns = [I(BPF_ST | BPF_MEM | BPF_DW, 10, 0, keyAt.off, key), I(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10), I(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, keyAt.off)];
  if (helper === 'update') {
    insns.push(I(BPF_ST | BPF_MEM | BPF_DW, 10, 0, valueAt.off, value), I(BPF_ALU64 | BPF_MOV | BPF_X, 3, 10), I(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, valueAt.off));
    insns.push(I(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, flags));
  }
  insns.push(...ldImm64(1, BigInt(map), BPF_PSEUDO_MAP_FD), I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_MAP[helper]));
  if (helper === 'lookup') {
    insns.push(I(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), store ? I(BPF_ST | BPF_MEM | BPF_DW, 0, 0, 0, value) : I(BPF_LDX | BPF_MEM | BPF_DW, 1, 0, 0));
  }
  return { kind: 'insn', insns };
});

/**
 * Ops of programs our verifier may accept (filtered through it by the
 * caller): no wild jumps, no jumps into loops, no recursion, no far or
 * packet accesses, stack accesses aligned and in the frame, base helpers
 * and (with `maps`) the map helpers on DIFF_MAPS only.
 * Calls are frequent, so that callees of every arity, nested calls and
 * r6–r9 live across calls (the loop counters) are common.
 */
const verifiedOps = (maps: boolean): fc.Arbitrary<Op> => fc.oneof(
  { weight: 14, arbitrary: fc.constantFrom(...ALU_ROWS).chain((row) => aluOp(row, true)) },
  { weight: 6, arbitrary: fc.constantFrom(...MEM_ROWS).chain(verifiedMemOp) },
  { weight: 1, arbitrary: lddwOp },
  { weight: 3, arbitrary: fc.constantFrom(...COND_ROWS).chain((row) => condInsn(row, true)).map((insn): Op => ({ kind: 'if', insn })) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 6 }).map((count): Op => ({ kind: 'loop', count })) },
  { weight: 3, arbitrary: fc.constant<Op>({ kind: 'close' }) },
  { weight: 2, arbitrary: verifiedHelperOp },
  { weight: 3, arbitrary: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }).map((callee): Op => ({ kind: 'call', callee, self: false })) },
  { weight: 1, arbitrary: fc.record({ callee: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), count: fc.integer({ min: 0, max: 4 }) }).map((l): Op => ({ kind: 'bpfLoop', ...l })) },
  ...(maps ? [{ weight: 2, arbitrary: verifiedMapOp }] : []),
);

/**
 * Programs shaped for the verifier (see verifiedOps); most still fail it and are filtered out by the
 * caller. `maps`: they may call the map helpers, the maps being DIFF_MAPS in that order.
 */
export function verifiedProgramArb(maxOps = 24, maps = true): fc.Arbitrary<GenProgram> {
  const op = verifiedOps(maps);
  return fc.record({
    main: fc.array(op, { maxLength: maxOps }),
    subs: fc.array(fc.array(op, { maxLength: Math.ceil(maxOps / 2) }), { minLength: 1, maxLength: 3 }),
    regs: fc.array(u64, { minLength: 6, maxLength: 6 }),
    wild: fc.constant(0),
    input: fc.uint8Array({ minLength: INPUT_SIZE, maxLength: INPUT_SIZE }),
    verified: fc.constant(true),
  });
}

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });
const EXIT = I(BPF_JMP | BPF_EXIT);

interface Pending { at: number; kind: 'wild' | 'call'; value: number; fn: number; self: boolean }

/**
 * Lay out one function's ops from slot `start`; jumps and calls are patched later.
 * `refill` follows every call (helper or bpf-to-bpf), which leaves r1–r5 uninitialised to the verifier.
 */
function layoutFunction(ops: readonly Op[], start: number, fn: number, pending: Pending[], body: number[], refill: readonly Insn[] = []): Insn[] {
  const out: Insn[] = [];
  const open: { kind: 'if' | 'loop'; at: number; level: number }[] = [];
  const here = () => start + out.length;
  const loops = () => open.filter((o) => o.kind === 'loop').length;
  /** Jumps waiting for the next loop's body; `armed` once that loop's first instruction is out. */
  let entering: number[] = [];
  let armed = false;
  const land = (target: number) => {
    for (const at of entering) out[at - start] = { ...out[at - start], off: target - at - 1 };
    entering = [];
    armed = false;
  };
  const close = () => {
    const o = open.pop()!;
    if (o.kind === 'if') out[o.at - start] = { ...out[o.at - start], off: here() - o.at - 1 };
    else {
      const counter = 6 + o.level;
      out.push(I(BPF_ALU64 | BPF_SUB | BPF_K, counter, 0, 0, 1));
      out.push(I(BPF_JMP | BPF_JSGT | BPF_K, counter, 0, o.at - here() - 1, 0));
    }
  };
  for (const o of ops) {
    const first = here();
    switch (o.kind) {
      case 'insn':
        out.push(...o.insns);
        if (o.insns.some((ins) => ins.code === (BPF_JMP | BPF_CALL))) out.push(...refill);
        break;
      case 'if': open.push({ kind: 'if', at: here(), level: 0 }); out.push(o.insn); break;
      case 'enter': entering.push(here()); out.push(o.insn); break;
      case 'loop': {
        const level = loops();
        if (level >= 2) break;
        out.push(I(BPF_ALU64 | BPF_MOV | BPF_K, 6 + level, 0, 0, o.count));
        open.push({ kind: 'loop', at: here(), level });
        if (entering.length) armed = true;
        break;
      }
      case 'close': if (open.length) close(); break;
      case 'wild':
        out.push(I(BPF_ALU64 | BPF_SUB | BPF_K, 8, 0, 0, 1), I(BPF_JMP | BPF_JSGT | BPF_K, 8, 0, 0, 0));
        pending.push({ at: here() - 1, kind: 'wild', value: o.where, fn, self: false });
        break;
      case 'bpfLoop':
        out.push(I(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, o.count), ...ldImm64(2, 0n, BPF_PSEUDO_FUNC));
        pending.push({ at: here() - 2, kind: 'call', value: o.callee, fn, self: false });
        out.push(I(BPF_ALU64 | BPF_MOV | BPF_K, 3), I(BPF_ALU64 | BPF_MOV | BPF_K, 4), I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_LOOP), ...refill);
        break;
      case 'call':
        out.push(I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0));
        pending.push({ at: here() - 1, kind: 'call', value: o.callee, fn, self: o.self });
        out.push(...refill);
        break;
    }
    // Body slots (wild targets): instruction starts, not the second half of an lddw.
    for (let s = first; s < here(); s++) if (s === first || out[s - start - 1].code !== 0x18) body.push(s);
    if (armed && o.kind !== 'loop' && here() > first) land(here());
  }
  while (open.length) close();
  land(here());
  return out;
}

/** The instructions of a generated program. */
export function toInsns(p: GenProgram): Insn[] {
  const pending: Pending[] = [];
  const body: number[] = [];
  const out: Insn[] = [I(BPF_ALU64 | BPF_MOV | BPF_X, 9, 1)];
  p.regs.forEach((v, r) => out.push(...ldImm64(r, v)));
  out.push(I(BPF_ALU64 | BPF_MOV | BPF_K, 6, 0, 0, 0), I(BPF_ALU64 | BPF_MOV | BPF_K, 7, 0, 0, 0), I(BPF_ALU64 | BPF_MOV | BPF_K, 8, 0, 0, p.wild));
  // For the verifier, the arguments are set again after each call, so that a callee may read any of them.
  const refill = p.verified ? p.regs.slice(1).flatMap((v, r) => ldImm64(r + 1, v)) : [];
  out.push(...layoutFunction(p.main, out.length, -1, pending, body, refill));
  // The verifier rejects unreachable code: main ends by calling every subprogram once, in order.
  if (p.verified) {
    p.subs.forEach((_, j) => {
      pending.push({ at: out.length, kind: 'call', value: (j + 0.5) / p.subs.length, fn: -1, self: false });
      out.push(I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0), ...refill);
    });
  }
  if (p.tail !== undefined) {
    out.push(I(BPF_ALU64 | BPF_MOV | BPF_X, 1, 9), ...ldImm64(2, 0n, BPF_PSEUDO_MAP_FD), I(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, p.tail));
    // bpf_tail_call returns nothing the verifier lets a program read: r0 is set again too.
    out.push(I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_TAIL_CALL), I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, -1), ...refill);
  }
  // Every register the program may have changed goes to the stack, where the memory comparison sees it
  // (for the verifier, only those a call or a helper does not leave uninitialised).
  for (let r = 0; r <= 9; r++) if (!p.verified || r === 0 || r >= 6) out.push(I(BPF_STX | BPF_MEM | BPF_DW, 10, r, -8 * (r + 1)));
  out.push(EXIT);
  const starts: number[] = [];
  p.subs.forEach((ops, j) => {
    starts.push(out.length);
    // The verifier wants r0 set at every exit.
    if (p.verified) out.push(I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, j + 1));
    out.push(...layoutFunction(ops, out.length, j, pending, body, refill));
    // A bpf_loop callback returns 0 or 1, and any subprogram may be one.
    if (p.verified) out.push(I(BPF_ALU64 | BPF_AND | BPF_K, 0, 0, 0, 1));
    out.push(EXIT);
  });
  const patched = out.map((ins) => ({ ...ins }));
  for (const q of pending) {
    if (q.kind === 'wild') {
      const target = body.length ? body[Math.floor(q.value * body.length)] : q.at + 1;
      patched[q.at].off = target - q.at - 1;
      continue;
    }
    const first = q.self ? Math.max(q.fn, 0) : q.fn + 1;
    const choices = starts.slice(first);
    if (choices.length === 0) {
      // No subprogram to call: a jump to the next slot keeps the layout (for bpf_loop, a callback of 0: the verifier refuses it).
      patched[q.at] = patched[q.at].src === BPF_PSEUDO_FUNC ? { ...patched[q.at], src: 0 } : I(BPF_JMP | BPF_JA);
      continue;
    }
    patched[q.at].imm = choices[Math.floor(q.value * choices.length)] - q.at - 1;
  }
  return patched;
}

