import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BPF_ADD, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_B, BPF_CMPXCHG, BPF_DIV, BPF_DW, BPF_END, BPF_FETCH, BPF_H, BPF_JNE,
  BPF_LSH, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_STX, BPF_SUB, BPF_TO_BE, BPF_TO_LE,
  BPF_W, BPF_XCHG, BPF_XOR, BPF_ALU, BPF_ALU64, BPF_K, insn, type Insn,
} from '../../src/isa/index.js';
import { alu32, alu32i, alu64, alu64i, exit, jmp, lddw, ldx, mov, movr, run, stdw, stx } from './util.js';

const INT64_MIN = 0x8000000000000000n;
const MINUS1 = 0xffffffffffffffffn;
const u64 = (v: bigint) => BigInt.asUintN(64, v);

/** r0 = a; r1 = b; r0 op= r1; exit. */
const withReg = (op: (d: number, s: number) => Insn, a: bigint, b: bigint) =>
  run([...lddw(0, a), ...lddw(1, b), op(0, 1), exit()]).r0;
/** r0 = a; r0 op= imm; exit. */
const withImm = (op: (d: number, imm: number) => Insn, a: bigint, imm: number) => run([...lddw(0, a), op(0, imm), exit()]).r0;

test('32-bit ALU results are zero-extended into 64 bits', () => {
  assert.equal(withReg((d, s) => alu32(BPF_ADD, d, s), 0xffffffff_ffffffffn, 2n), 1n);
  assert.equal(withImm((d, i) => alu32i(BPF_MOV, d, i), 0xdeadbeef_00000000n, -1), 0xffffffffn);
  assert.equal(withReg((d, s) => alu32(BPF_MOV, d, s), 0n, 0x12345678_9abcdef0n), 0x9abcdef0n);
  assert.equal(withImm((d) => insn(BPF_ALU | BPF_NEG | BPF_K, d), 0x1_00000001n, 0), 0xffffffffn);
});

test('unsigned div/mod by zero: div gives 0, mod keeps the dividend (32-bit: its zero-extended low half)', () => {
  assert.equal(withReg((d, s) => alu64(BPF_DIV, d, s), 1234n, 0n), 0n);
  assert.equal(withImm((d, i) => alu64i(BPF_DIV, d, i), 1234n, 0), 0n);
  assert.equal(withReg((d, s) => alu64(BPF_MOD, d, s), 0xabcdef_12345678n, 0n), 0xabcdef_12345678n);
  assert.equal(withReg((d, s) => alu32(BPF_DIV, d, s), 0xffff_0000_0000_0007n, 0n), 0n);
  assert.equal(withReg((d, s) => alu32(BPF_MOD, d, s), 0xffff_0000_0000_0007n, 0n), 7n);
  assert.equal(withImm((d, i) => alu32i(BPF_MOD, d, i), 0xffff_0000_8000_0007n, 0), 0x8000_0007n);
  // A divisor whose low half is zero is not zero in 64 bits, but is in 32.
  assert.equal(withReg((d, s) => alu64(BPF_DIV, d, s), 1n << 40n, 1n << 32n), 256n);
  assert.equal(withReg((d, s) => alu32(BPF_DIV, d, s), 100n, 1n << 32n), 0n);
});

test('signed div/mod: by zero, INT_MIN by -1, and the sign of the remainder (both widths)', () => {
  const sdiv = (d: number, s: number) => alu64(BPF_DIV, d, s, 1);
  const smod = (d: number, s: number) => alu64(BPF_MOD, d, s, 1);
  const sdiv32 = (d: number, s: number) => alu32(BPF_DIV, d, s, 1);
  const smod32 = (d: number, s: number) => alu32(BPF_MOD, d, s, 1);
  assert.equal(withReg(sdiv, 5n, 0n), 0n);
  assert.equal(withReg(smod, u64(-5n), 0n), u64(-5n));
  assert.equal(withReg(sdiv32, 0xaaaa_0000_0000_0005n, 0n), 0n);
  assert.equal(withReg(smod32, 0xaaaa_0000_ffff_fffbn, 0n), 0xffff_fffbn);
  assert.equal(withReg(sdiv, INT64_MIN, MINUS1), INT64_MIN);
  assert.equal(withReg(smod, INT64_MIN, MINUS1), 0n);
  assert.equal(withImm((d, i) => alu64i(BPF_DIV, d, i, 1), INT64_MIN, -1), INT64_MIN);
  assert.equal(withImm((d, i) => alu64i(BPF_MOD, d, i, 1), INT64_MIN, -1), 0n);
  assert.equal(withReg(sdiv32, 0x1234_5678_8000_0000n, 0xffff_ffffn), 0x8000_0000n);
  assert.equal(withReg(smod32, 0x1234_5678_8000_0000n, 0xffff_ffffn), 0n);
  assert.equal(withReg(smod, u64(-7n), 3n), u64(-1n));
  assert.equal(withReg(smod, 7n, u64(-3n)), 1n);
  assert.equal(withReg(sdiv, u64(-7n), 2n), u64(-3n));
  assert.equal(withReg(smod32, 0xffff_fff9n, 3n), 0xffff_ffffn);
  assert.equal(withReg(sdiv32, 0xffff_fff9n, 2n), 0xffff_fffdn);
  // Wide operands take the BigInt path.
  assert.equal(withReg(sdiv, u64(-(1n << 40n)), 1n << 33n), u64(-128n));
  assert.equal(withReg(smod, u64(-((1n << 40n) + 5n)), 1n << 33n), u64(-5n));
  // Unsigned division treats a negative immediate as a huge divisor (sign-extended, then unsigned).
  assert.equal(withImm((d, i) => alu64i(BPF_DIV, d, i), 12n, -1), 0n);
  assert.equal(withImm((d, i) => alu32i(BPF_DIV, d, i), 0xffff_fffen, -1), 0n);
});

test('shift amounts are masked to the width', () => {
  assert.equal(withReg((d, s) => alu64(BPF_LSH, d, s), 1n, 65n), 2n);
  assert.equal(withImm((d, i) => alu64i(BPF_LSH, d, i), 1n, 63), INT64_MIN);
  assert.equal(withReg((d, s) => alu32(BPF_LSH, d, s), 1n, 33n), 2n);
  assert.equal(withReg((d, s) => alu64(BPF_RSH, d, s), INT64_MIN, 127n), 1n);
  assert.equal(withReg((d, s) => alu32(BPF_RSH, d, s), 0x8000_0000n, 63n), 1n);
  assert.equal(withReg((d, s) => alu64(BPF_ARSH, d, s), INT64_MIN, 64n + 60n), u64(-8n));
  assert.equal(withImm((d, i) => alu64i(BPF_ARSH, d, i), INT64_MIN, 32), 0xffffffff_80000000n);
  assert.equal(withReg((d, s) => alu32(BPF_ARSH, d, s), 0x8000_0000n, 36n), 0xf800_0000n);
  assert.equal(withImm((d, i) => alu64i(BPF_RSH, d, i), 0x12345678_9abcdef0n, 4), 0x01234567_89abcdefn);
});

test('64-bit add, sub and mul carry across the halves', () => {
  assert.equal(withReg((d, s) => alu64(BPF_ADD, d, s), 0xffff_ffffn, 1n), 0x1_0000_0000n);
  assert.equal(withImm((d, i) => alu64i(BPF_ADD, d, i), 0x1_0000_0000n, -1), 0xffff_ffffn);
  assert.equal(withReg((d, s) => alu64(BPF_SUB, d, s), 0x1_0000_0000n, 1n), 0xffff_ffffn);
  assert.equal(withReg((d, s) => alu64(BPF_MUL, d, s), 0xffff_ffff_ffff_ffffn, 0xffff_ffff_ffff_ffffn), 1n);
  assert.equal(withReg((d, s) => alu64(BPF_MUL, d, s), 0x1234_5678_9abc_def0n, 0x0fed_cba9_8765_4321n),
    u64(0x1234_5678_9abc_def0n * 0x0fed_cba9_8765_4321n));
  assert.equal(withImm((d) => insn(BPF_ALU64 | BPF_NEG | BPF_K, d), 1n << 32n, 0), u64(-(1n << 32n)));
});

test('movsx and the sign-extending loads; plain loads zero-extend', () => {
  assert.equal(withReg((d, s) => alu64(BPF_MOV, d, s, 8), 0n, 0x80n), u64(-128n));
  assert.equal(withReg((d, s) => alu64(BPF_MOV, d, s, 16), 0n, 0x1_8000n), u64(-32768n));
  assert.equal(withReg((d, s) => alu64(BPF_MOV, d, s, 32), 0n, 0x1_8000_0000n), u64(-(1n << 31n)));
  assert.equal(withReg((d, s) => alu32(BPF_MOV, d, s, 8), 0n, 0xff_ffn), 0xffff_ffffn);
  assert.equal(withReg((d, s) => alu32(BPF_MOV, d, s, 16), 0n, 0x7fffn), 0x7fffn);
  const mem = Uint8Array.from([0x80, 0xff, 0xff, 0xff, 0x81, 0x82, 0x83, 0x84]);
  assert.equal(run([ldx(BPF_W, 0, 1, 0, BPF_MEMSX), exit()], { mem }).r0, u64(-128n));
  assert.equal(run([ldx(BPF_H, 0, 1, 4, BPF_MEMSX), exit()], { mem }).r0, u64(-0x7d7fn));
  assert.equal(run([ldx(BPF_B, 0, 1, 0, BPF_MEMSX), exit()], { mem }).r0, u64(-128n));
  assert.equal(run([mov(0, -1), ldx(BPF_B, 0, 1, 0), exit()], { mem }).r0, 0x80n);
  assert.equal(run([mov(0, -1), ldx(BPF_W, 0, 1, 4), exit()], { mem }).r0, 0x8483_8281n);
  assert.equal(run([ldx(BPF_DW, 0, 1, 0), exit()], { mem }).r0, 0x8483_8281_ffff_ff80n);
});

test('le truncates, be and bswap swap (little-endian memory)', () => {
  const end = (cls: number, order: number, width: number) => (d: number) => insn(cls | BPF_END | order, d, 0, 0, width);
  const v = 0x1122_3344_5566_7788n;
  assert.equal(withImm(end(BPF_ALU, BPF_TO_LE, 16), v, 0), 0x7788n);
  assert.equal(withImm(end(BPF_ALU, BPF_TO_LE, 32), v, 0), 0x5566_7788n);
  assert.equal(withImm(end(BPF_ALU, BPF_TO_LE, 64), v, 0), v);
  assert.equal(withImm(end(BPF_ALU, BPF_TO_BE, 16), v, 0), 0x8877n);
  assert.equal(withImm(end(BPF_ALU, BPF_TO_BE, 32), v, 0), 0x8877_6655n);
  assert.equal(withImm(end(BPF_ALU, BPF_TO_BE, 64), v, 0), 0x8877_6655_4433_2211n);
  assert.equal(withImm(end(BPF_ALU64, BPF_TO_LE, 16), v, 0), 0x8877n);
  assert.equal(withImm(end(BPF_ALU64, BPF_TO_LE, 64), v, 0), 0x8877_6655_4433_2211n);
});

const atomic = (size: number, imm: number, dst: number, src: number, off: number) => insn(BPF_STX | BPF_ATOMIC | size, dst, src, off, imm);

test('atomics: plain ops, fetch returns the old value (32-bit zero-extended), xchg, cmpxchg against r0', () => {
  // *(u64 *)(r10 - 8) = 0x1_0000_00f0; r1 = 0x0f; lock fetch or; r0 = old r1 + stored value
  const prog = (size: number, imm: number, r1: bigint, extra: Insn[] = []) => [
    ...lddw(2, 0xffff_ffff_0000_00f0n), stx(BPF_DW, 10, 2, -8), ...lddw(1, r1), ...extra,
    atomic(size, imm, 10, 1, -8), ldx(BPF_DW, 3, 10, -8), movr(0, 1), exit(),
  ];
  const stored = (p: Insn[]) => {
    const r = run([...p.slice(0, -3), ldx(BPF_DW, 0, 10, -8), exit()]);
    return r.r0;
  };
  assert.equal(run(prog(BPF_DW, BPF_OR | BPF_FETCH, 0x0fn)).r0, 0xffff_ffff_0000_00f0n);
  assert.equal(stored(prog(BPF_DW, BPF_OR | BPF_FETCH, 0x0fn)), 0xffff_ffff_0000_00ffn);
  assert.equal(run(prog(BPF_W, BPF_ADD | BPF_FETCH, 0x1234_0000_0000_0010n)).r0, 0xf0n);
  assert.equal(stored(prog(BPF_W, BPF_ADD | BPF_FETCH, 0x1234_0000_ffff_ff10n)), 0xffff_ffff_0000_0000n);
  assert.equal(run(prog(BPF_DW, BPF_ADD, 5n)).r0, 5n, 'without FETCH src is unchanged');
  assert.equal(stored(prog(BPF_DW, BPF_AND, 0xf0n)), 0xf0n);
  assert.equal(stored(prog(BPF_W, BPF_XOR, 0xffn)), 0xffff_ffff_0000_000fn);
  assert.equal(run(prog(BPF_W, BPF_XCHG, 0x77n)).r0, 0xf0n);
  assert.equal(stored(prog(BPF_W, BPF_XCHG, 0x77n)), 0xffff_ffff_0000_0077n);
  // cmpxchg: r0 gets the old value; the store happens only when r0 matched.
  const cas = (size: number, r0: bigint) => [
    ...lddw(2, 0xffff_ffff_0000_00f0n), stx(BPF_DW, 10, 2, -8), ...lddw(1, 0x99n), ...lddw(0, r0),
    atomic(size, BPF_CMPXCHG, 10, 1, -8), ldx(BPF_DW, 3, 10, -8), alu64(BPF_XOR, 0, 3), exit(),
  ];
  assert.equal(run(cas(BPF_DW, 0xffff_ffff_0000_00f0n)).r0, 0xffff_ffff_0000_00f0n ^ 0x99n);
  assert.equal(run(cas(BPF_DW, 1n)).r0, 0n);
  assert.equal(run(cas(BPF_W, 0xaaaa_0000_0000_00f0n)).r0, 0xf0n ^ 0xffff_ffff_0000_0099n);
  assert.equal(run(cas(BPF_W, 1n)).r0, 0xf0n ^ 0xffff_ffff_0000_00f0n);
});

test('misaligned atomics fault like wasm atomics', () => {
  assert.throws(() => run([mov(1, 1), stdw(10, -16, 0), atomic(BPF_W, BPF_ADD, 10, 1, -10), mov(0, 0), exit()]),
    /pc 2: misaligned atomic access of 4 bytes/);
});

test('jumps compare signed and unsigned in both widths', () => {
  // r0 = 1 if the branch is taken.
  const taken = (j: Insn, a: bigint, b: bigint) => run([...lddw(1, a), ...lddw(2, b), mov(0, 0), j, exit(), mov(0, 1), exit()]).r0 === 1n;
  const J = (op: number, cls = 0x05) => insn(cls | op | 0x08, 1, 2, 1);
  const JGT = 0x20, JSGT = 0x60, JLT = 0xa0, JSLE = 0xd0, JSET = 0x40;
  assert.ok(taken(J(JGT), MINUS1, 1n));
  assert.ok(!taken(J(JSGT), MINUS1, 1n));
  assert.ok(taken(J(JLT), 1n << 32n, (1n << 32n) + 1n));
  assert.ok(taken(J(JSLE), INT64_MIN, 0n));
  assert.ok(!taken(J(JGT, 0x06), 0x1_0000_0000n, 5n), 'jgt32 sees only the low halves');
  assert.ok(taken(J(JSGT, 0x06), 0x5n, 0xffff_ffffn), 'jsgt32: 5 > -1');
  assert.ok(taken(J(JSET), 1n << 40n, 1n << 40n));
  assert.ok(!taken(J(JSET, 0x06), 1n << 40n, 1n << 40n));
  assert.ok(taken(jmp(BPF_JNE, 1, -1, 1), 0xffff_ffffn, 0n), 'the immediate is sign-extended to 64 bits');
});
