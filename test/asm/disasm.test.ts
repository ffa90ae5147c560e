import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble, disassemble, formatInsn } from '../../src/asm/index.js';
import { InstructionError, insn, ldImm64, type Insn } from '../../src/isa/index.js';
import { helperName } from '../../src/platform/helper-ids.js';
import { KERNEL_LOG, LLVM_OBJDUMP, UBPF } from './golden.js';

const program = assemble(KERNEL_LOG.join('\n'));

test('the kernel format is the verifier log, line for line', () => {
  assert.equal(program.length, 68);
  assert.equal(disassemble(program, { indexes: true, helperName }), KERNEL_LOG.join('\n'));
});

test('the llvm format is llvm-objdump -d --mcpu=v4, and its text assembles back', () => {
  assert.equal(disassemble(program, { format: 'llvm', indexes: true }), LLVM_OBJDUMP.join('\n'));
  assert.deepEqual(assemble(LLVM_OBJDUMP.join('\n')), program);
});

test('the ubpf format is the conformance syntax, and assembles back', () => {
  assert.equal(disassemble(program, { format: 'ubpf', indexes: true }), UBPF.join('\n'));
  assert.deepEqual(assemble(UBPF.join('\n')), program);
});

test('without indexes each line is formatInsn of its slot; lddw takes two indexes', () => {
  const lines = disassemble(program, { helperName }).split('\n');
  assert.equal(lines.length, KERNEL_LOG.length);
  KERNEL_LOG.forEach((logLine, k) => {
    const [index, text] = logLine.split(/: (.*)/s);
    assert.equal(lines[k], text);
    assert.equal(formatInsn(program, Number(index), { helperName }), text);
  });
  assert.ok(KERNEL_LOG.includes('42: (18) r1 = 0x1122334455667788') && KERNEL_LOG[43].startsWith('44:'));
});

/**
 * Rows the program above does not reach, in the three formats. Kernel lines
 * follow print_bpf_insn in kernel/bpf/disasm.c and, for 64-bit loads of a
 * pseudo source, bpftool's print_imm (tools/bpf/bpftool/xlated_dumper.c).
 */
const rows: Array<{ insns: Insn[]; kernel: string; llvm: string; ubpf: string }> = [
  { insns: [insn(0x8d, 2)], kernel: '(8d) callx r2', llvm: 'callx r2', ubpf: 'call %r2' },
  { insns: [insn(0x85, 0, 2, 0, 1234)], kernel: '(85) call kernel-function#1234', llvm: 'call kernel-function#1234', ubpf: 'call kfunc 1234' },
  { insns: [insn(0x85, 0, 1, 0, -3)], kernel: '(85) call pc-3', llvm: 'call pc-0x3', ubpf: 'call local -3' },
  { insns: [insn(0x06, 0, 0, 0, -70000)], kernel: '(06) gotol pc-70000', llvm: 'gotol -0x11170', ubpf: 'ja32 -70000' },
  { insns: [insn(0x15, 1, 0, -1, -10)], kernel: '(15) if r1 == 0xfffffff6 goto pc-1', llvm: 'if r1 == -0xa goto -0x1', ubpf: 'jeq %r1, -10, -1' },
  { insns: [insn(0x07, 1, 0, 0, -2147483648)], kernel: '(07) r1 += -2147483648', llvm: 'r1 += -0x80000000', ubpf: 'add %r1, -2147483648' },
  { insns: [insn(0x61, 0, 1, 0, 0)], kernel: '(61) r0 = *(u32 *)(r1 +0)', llvm: 'w0 = *(u32 *)(r1 + 0x0)', ubpf: 'ldxw %r0, [%r1+0]' },
  { insns: [insn(0x94, 1, 0, 0, 3)], kernel: '(94) w1 %= 3', llvm: 'w1 %= 0x3', ubpf: 'mod32 %r1, 3' },
  { insns: [insn(0xcc, 1, 2)], kernel: '(cc) w1 s>>= w2', llvm: 'w1 s>>= w2', ubpf: 'arsh32 %r1, %r2' },
  { insns: [insn(0xbc, 1, 2, 8)], kernel: '(bc) w1 = (s8)w2', llvm: 'w1 = (s8)w2', ubpf: 'movsx832 %r1, %r2' },
  { insns: [insn(0xdc, 1, 0, 0, 64)], kernel: '(dc) r1 = be64 r1', llvm: 'r1 = be64 r1', ubpf: 'be64 %r1' },
  { insns: [insn(0xd7, 1, 0, 0, 16)], kernel: '(d7) r1 = bswap16 r1', llvm: 'r1 = bswap16 r1', ubpf: 'bswap16 %r1' },
  { insns: [insn(0x7a, 10, 0, -32768, 7)], kernel: '(7a) *(u64 *)(r10 -32768) = 7', llvm: '*(u64 *)(r10 - 0x8000) = 0x7', ubpf: 'stdw [%r10-32768], 7' },
  { insns: [insn(0x6b, 1, 2, 32767)], kernel: '(6b) *(u16 *)(r1 +32767) = r2', llvm: '*(u16 *)(r1 + 0x7fff) = w2', ubpf: 'stxh [%r1+32767], %r2' },
  { insns: [insn(0xc3, 1, 2, 0, 0xa1)], kernel: '(c3) r2 = atomic_fetch_xor((u32 *)(r1 +0), r2)', llvm: 'w2 = atomic_fetch_xor((u32 *)(r1 + 0x0), w2)', ubpf: 'lock fetch xor32 [%r1+0], %r2' },
  { insns: [insn(0xdb, 1, 2, -8, 0xf1)], kernel: '(db) r0 = atomic64_cmpxchg((u64 *)(r1 -8), r0, r2)', llvm: 'r0 = cmpxchg_64(r1 - 0x8, r0, r2)', ubpf: 'lock cmpxchg [%r1-8], %r2' },
  { insns: [insn(0x40, 0, 3, 0, 0)], kernel: '(40) r0 = *(u32 *)skb[r3 + 0]', llvm: 'r0 = *(u32 *)skb[r3]', ubpf: 'ldindw %r3, 0' },
  { insns: [...ldImm64(1, 5n, 1)], kernel: '(18) r1 = map[id:5]', llvm: 'ld_pseudo r1, 0x1, 0x5', ubpf: 'lddw %r1, 0x5, 1' },
  { insns: [...ldImm64(1, (16n << 32n) | 5n, 2)], kernel: '(18) r1 = map[id:5][0]+16', llvm: 'ld_pseudo r1, 0x2, 0x1000000005', ubpf: 'lddw %r1, 0x1000000005, 2' },
  { insns: [...ldImm64(2, 0xfffffffdn, 4)], kernel: '(18) r2 = subprog[-3]', llvm: 'ld_pseudo r2, 0x4, 0xfffffffd', ubpf: 'lddw %r2, 0xfffffffd, 4' },
  { insns: [...ldImm64(3, 0x700000123n, 3)], kernel: '(18) ld_pseudo r3, 3, 0x700000123', llvm: 'ld_pseudo r3, 0x3, 0x700000123', ubpf: 'lddw %r3, 0x700000123, 3' },
  { insns: [...ldImm64(1, 0x100000005n, 1)], kernel: '(18) ld_pseudo r1, 1, 0x100000005', llvm: 'ld_pseudo r1, 0x1, 0x100000005', ubpf: 'lddw %r1, 0x100000005, 1' },
  { insns: [...ldImm64(1, 2n, 5)], kernel: '(18) ld_pseudo r1, 5, 0x2', llvm: 'ld_pseudo r1, 0x5, 0x2', ubpf: 'lddw %r1, 0x2, 5' },
];

for (const r of rows) {
  test(`formats ${r.kernel}`, () => {
    assert.equal(formatInsn(r.insns, 0), r.kernel);
    assert.equal(formatInsn(r.insns, 0, { format: 'llvm' }), r.llvm);
    assert.equal(formatInsn(r.insns, 0, { format: 'ubpf' }), r.ubpf);
    for (const text of [r.kernel, r.llvm, r.ubpf]) assert.deepEqual(assemble(text), r.insns, text);
  });
}

test('helper calls print name#id with helperName, else the kernel fallback unknown#id', () => {
  const call = (id: number) => [insn(0x85, 0, 0, 0, id)];
  assert.equal(formatInsn(call(1), 0, { helperName }), '(85) call bpf_map_lookup_elem#1');
  assert.equal(formatInsn(call(0), 0, { helperName }), '(85) call bpf_unspec#0');
  assert.equal(formatInsn(call(1), 0), '(85) call unknown#1');
  assert.equal(formatInsn(call(212), 0, { helperName }), '(85) call unknown#212');
  assert.equal(formatInsn(call(-1), 0, { helperName }), '(85) call unknown#-1');
  assert.equal(formatInsn(call(6), 0, { format: 'llvm', helperName }), 'call 0x6');
  assert.deepEqual(assemble('call unknown#212\ncall bpf_unspec#0'), [...call(212), ...call(0)]);
});

test('the default format is kernel, and an empty program disassembles to nothing', () => {
  assert.equal(disassemble([insn(0x95)]), '(95) exit');
  assert.equal(disassemble([]), '');
});

test('invalid slots are reported with their index', () => {
  const bad = [insn(0xb7, 0, 0, 0, 1), insn(0xff)];
  assert.throws(() => disassemble(bad), (e: unknown) => e instanceof InstructionError && e.index === 1 && /unknown opcode 0xff/.test(e.message));
  assert.throws(() => formatInsn(bad, 1), (e: unknown) => e instanceof InstructionError && e.index === 1);
  const lddw = ldImm64(1, 1n);
  assert.throws(() => formatInsn(lddw, 1), (e: unknown) => e instanceof InstructionError && e.index === 1);
  assert.throws(() => formatInsn([lddw[0]], 0), (e: unknown) => e instanceof InstructionError && /second half/.test(e.message));
  assert.throws(() => formatInsn(bad, 5), (e: unknown) => e instanceof InstructionError && e.index === 5 && /2 slots/.test(e.message));
  assert.throws(() => formatInsn([insn(0x07, 1, 3, 0, 1)], 0), (e: unknown) => e instanceof InstructionError && /reserved field src/.test(e.message));
});
