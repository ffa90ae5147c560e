import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsmError, assemble } from '../../src/asm/index.js';
import { EbpfError } from '../../src/internal/errors.js';
import { insn, ldImm64, type Insn } from '../../src/isa/index.js';
import { helperIdByName } from '../../src/platform/helper-ids.js';

/** Each line assembles to the instruction(s) given. */
function same(lines: Record<string, Insn[]>): void {
  for (const [text, want] of Object.entries(lines)) assert.deepEqual(assemble(text), want, text);
}

test('uBPF syntax: every operand shape of the conformance suite', () => {
  same({
    'mov %r0, 1': [insn(0xb7, 0, 0, 0, 1)],
    'add32 %r0, -3': [insn(0x04, 0, 0, 0, -3)],
    'ldxb %r0, [%r1+2]': [insn(0x71, 0, 1, 2)],
    'ldxdw %r0, [%r1]': [insn(0x79, 0, 1, 0)],
    'ldxsw %r0, [%r10-4]': [insn(0x81, 0, 10, -4)],
    'stxdw [%r10-8], %r1': [insn(0x7b, 10, 1, -8)],
    'stw [%r1+4], 5': [insn(0x62, 1, 0, 4, 5)],
    'lddw %r0, 0x1122334455667788': ldImm64(0, 0x1122334455667788n),
    'lddw %r0, -1': ldImm64(0, -1n),
    'jeq %r1, 0, +2': [insn(0x15, 1, 0, 2)],
    'jsgt32 %r1, %r2, -1': [insn(0x6e, 1, 2, -1)],
    'ja +3': [insn(0x05, 0, 0, 3)],
    'ja32 -5': [insn(0x06, 0, 0, 0, -5)],
    'call 5': [insn(0x85, 0, 0, 0, 5)],
    'call %r2': [insn(0x8d, 2)],
    'callx %r3': [insn(0x8d, 3)],
    'exit': [insn(0x95)],
    'neg %r0': [insn(0x87)],
    'be16 %r0': [insn(0xdc, 0, 0, 0, 16)],
    'le32 %r0': [insn(0xd4, 0, 0, 0, 32)],
    'bswap64 %r0': [insn(0xd7, 0, 0, 0, 64)],
    'swap64 %r0': [insn(0xd7, 0, 0, 0, 64)],
    'movsx864 %r0, %r1': [insn(0xbf, 0, 1, 8)],
    'sdiv %r0, %r1': [insn(0x3f, 0, 1, 1)],
    'lock add [%r10-8], %r1': [insn(0xdb, 10, 1, -8, 0x00)],
    'lock fetch add32 [%r10-4], %r1': [insn(0xc3, 10, 1, -4, 0x01)],
    'lock xchg [%r10-8], %r1': [insn(0xdb, 10, 1, -8, 0xe1)],
    'lock cmpxchg [%r10-8], %r1': [insn(0xdb, 10, 1, -8, 0xf1)],
    'ldabsw 0x10': [insn(0x20, 0, 0, 0, 0x10)],
    'ldindb %r1, 0x10': [insn(0x50, 0, 1, 0, 0x10)],
    'may_goto +2': [insn(0xe5, 0, 0, 2)],
  });
});

test('kernel / LLVM syntax', () => {
  same({
    'r0 = *(u8 *)(r1 + 2)': [insn(0x71, 0, 1, 2)],
    'r0 = *(s16 *)(r1 - 4)': [insn(0x89, 0, 1, -4)],
    '*(u64 *)(r10 - 8) = r1': [insn(0x7b, 10, 1, -8)],
    '*(u32 *)(r1 + 0) = 7': [insn(0x62, 1, 0, 0, 7)],
    'w0 = w1': [insn(0xbc, 0, 1)],
    'r0 += 5': [insn(0x07, 0, 0, 0, 5)],
    'w0 s/= w1': [insn(0x3c, 0, 1, 1)],
    'r0 s%= 3': [insn(0x97, 0, 0, 1, 3)],
    'r0 = -r0': [insn(0x87)],
    'r0 = (s8)r1': [insn(0xbf, 0, 1, 8)],
    'w0 = (s16)w1': [insn(0xbc, 0, 1, 16)],
    'r0 = be16 r0': [insn(0xdc, 0, 0, 0, 16)],
    'r0 = le64 r0': [insn(0xd4, 0, 0, 0, 64)],
    'r0 = bswap32 r0': [insn(0xd7, 0, 0, 0, 32)],
    'if r1 > 0x10 goto +3': [insn(0x25, 1, 0, 3, 0x10)],
    'if r1 & 0x1 goto -2': [insn(0x45, 1, 0, -2, 1)],
    'if w1 s< w2 goto +0': [insn(0xce, 1, 2, 0)],
    'goto +5': [insn(0x05, 0, 0, 5)],
    'gotol +5': [insn(0x06, 0, 0, 0, 5)],
    'r1 = 0x1122334455667788 ll': ldImm64(1, 0x1122334455667788n),
    'call 1': [insn(0x85, 0, 0, 0, 1)],
    'call pc+4': [insn(0x85, 0, 1, 0, 4)],
    'lock *(u64 *)(r1 + 0) += r2': [insn(0xdb, 1, 2, 0, 0x00)],
    'lock *(u32 *)(r1 + 0) ^= w2': [insn(0xc3, 1, 2, 0, 0xa0)],
    'r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)': [insn(0xdb, 1, 2, 0, 0x01)],
    'r2 = atomic64_fetch_and((u64 *)(r1 -8), r2)': [insn(0xdb, 1, 2, -8, 0x51)],
    'w2 = atomic_fetch_or((u32 *)(r1 + 0x0), w2)': [insn(0xc3, 1, 2, 0, 0x41)],
    'r2 = atomic64_xchg((u64 *)(r1 +0), r2)': [insn(0xdb, 1, 2, 0, 0xe1)],
    'w2 = xchg32_32(r1 + 0x4, w2)': [insn(0xc3, 1, 2, 4, 0xe1)],
    'r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r2)': [insn(0xc3, 1, 2, 0, 0xf1)],
    'r0 = cmpxchg_64(r1 - 0x8, r0, r2)': [insn(0xdb, 1, 2, -8, 0xf1)],
    'r0 = *(u8 *)skb[12]': [insn(0x30, 0, 0, 0, 12)],
    'r0 = *(u16 *)skb[r1 + 4]': [insn(0x48, 0, 1, 0, 4)],
    'r0 = *(u16 *)skb[r1 - 4]': [insn(0x48, 0, 1, 0, -4)],
    'r0 = *(u16 *)skb[r1 + -4]': [insn(0x48, 0, 1, 0, -4)],
    'may_goto +2': [insn(0xe5, 0, 0, 2)],
    'ld_pseudo r1, 1, 4': ldImm64(1, 4n, 1),
  });
});

test('verifier-log and bpftool lines: index and opcode prefixes', () => {
  same({
    '12: (b7) r0 = 0': [insn(0xb7)],
    '   3: (18) r1 = 0x5': ldImm64(1, 5n),
    '(18) r1 = 0x1122334455667788': ldImm64(1, 0x1122334455667788n),
    '(15) if r1 == 0x0 goto pc+2': [insn(0x15, 1, 0, 2)],
    '(05) goto pc-3': [insn(0x05, 0, 0, -3)],
    '(85) call bpf_map_lookup_elem#1': [insn(0x85, 0, 0, 0, 1)],
    '(85) call pc+2': [insn(0x85, 0, 1, 0, 2)],
    '(79) r0 = *(u64 *)(r1 +8)': [insn(0x79, 0, 1, 8)],
    '(7b) *(u64 *)(r10 -8) = r1': [insn(0x7b, 10, 1, -8)],
    '(db) r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)': [insn(0xdb, 10, 1, -8, 1)],
    '(95) exit': [insn(0x95)],
  });
});

test('labels, the implicit exit label, comments, blank lines and mixed syntaxes', () => {
  const text = [
    '# uBPF comment',
    'mov %r0, 0          # trailing comment',
    'jeq %r1, 0, exit',
    'loop:',
    '  r0 += 1           ; LLVM comment',
    '  if r0 < 10 goto loop  // C++ comment',
    '',
    'ja32 done',
    'done: exit',
  ].join('\n');
  assert.deepEqual(assemble(text), [
    insn(0xb7),
    insn(0x15, 1, 0, 3),
    insn(0x07, 0, 0, 0, 1),
    insn(0xa5, 0, 0, -2, 10),
    insn(0x06, 0, 0, 0, 0),
    insn(0x95),
  ]);
});

test('labels count lddw as two slots', () => {
  assert.deepEqual(assemble('ja end\nlddw %r0, 1\nend:\nexit'), [insn(0x05, 0, 0, 2), ...ldImm64(0, 1n), insn(0x95)]);
  assert.deepEqual(assemble('lddw %r0, 1\nja start\nstart: exit'), [...ldImm64(0, 1n), insn(0x05, 0, 0, 0), insn(0x95)]);
});

test('calls: local by label, helpers by name through helperId', () => {
  const text = 'call local fn\ncall fn\ncall bpf_map_lookup_elem\ncall ktime_get_ns\nexit\nfn:\nexit';
  assert.deepEqual(assemble(text, { helperId: helperIdByName }), [
    insn(0x85, 0, 1, 0, 4), insn(0x85, 0, 1, 0, 3), insn(0x85, 0, 0, 0, 1), insn(0x85, 0, 0, 0, 5), insn(0x95), insn(0x95),
  ]);
  assert.deepEqual(assemble('call kfunc 77, 2\ncall kernel-function#9'), [insn(0x85, 0, 2, 2, 77), insn(0x85, 0, 2, 0, 9)]);
});

test('immediates: decimal is signed 32-bit, hex may be the unsigned pattern, lddw takes 64 bits', () => {
  same({
    'mov32 %r0, 2147483647': [insn(0xb4, 0, 0, 0, 2147483647)],
    'mov32 %r0, -2147483648': [insn(0xb4, 0, 0, 0, -2147483648)],
    'mov32 %r0, 0xffffffff': [insn(0xb4, 0, 0, 0, -1)],
    'mov32 %r0, -0x80000000': [insn(0xb4, 0, 0, 0, -2147483648)],
    'r0 = 0xffffffff': [insn(0xb7, 0, 0, 0, -1)],
    'lddw %r0, 18446744073709551615': ldImm64(0, -1n),
    'lddw %r0, -9223372036854775808': ldImm64(0, -(2n ** 63n)),
    'ldxb %r0, [%r1-32768]': [insn(0x71, 0, 1, -32768)],
    'ldxb %r0, [%r1+0x7fff]': [insn(0x71, 0, 1, 32767)],
  });
});

/** `text` fails with an AsmError at line:column whose message matches. */
function rejects(text: string, line: number, column: number, message: RegExp, options = {}): void {
  assert.throws(() => assemble(text, options), (err: unknown) => {
    assert.ok(err instanceof AsmError, `${text}: ${String(err)}`);
    assert.ok(err instanceof EbpfError);
    assert.equal(err.code, 'EASM');
    assert.match(err.message, message, text);
    assert.deepEqual([err.line, err.column], [line, column], `${text}: ${err.message}`);
    return true;
  });
}

test('errors: one per kind, each with its line and column', () => {
  rejects('ldxq %r0, %r1', 1, 1, /^unknown mnemonic 'ldxq'$/);
  rejects('exit\nor %r0, %r50', 2, 9, /^Invalid register: expected a register like %r1, got '%r50'$/);
  rejects('mov %r0, r1', 1, 10, /^expected a register like %r1|^expected an immediate, got 'r1'$/);
  rejects('r11 = 1', 1, 1, /Invalid register: expected a register like r1, got 'r11'/);
  rejects('mov32 %r0, 2147483648', 1, 12, /^immediate 2147483648 does not fit in 32 bits/);
  rejects('mov32 %r0, -2147483649', 1, 12, /^immediate -2147483649 does not fit in 32 bits/);
  rejects('mov32 %r0, 0x100000000', 1, 12, /^immediate 0x100000000 does not fit in 32 bits/);
  rejects('lddw %r0, 0x10000000000000000', 1, 11, /^immediate 0x10000000000000000 does not fit in 64 bits$/);
  rejects('ldxb %r0, [%r1+0x10000]', 1, 15, /^offset 0x10000 does not fit in 16 bits/);
  rejects('ja +32768', 1, 4, /^jump offset 32768 does not fit in 16 bits$/);
  rejects('ja NOT_A_LABEL\nexit', 1, 4, /^unknown label 'NOT_A_LABEL'$/);
  rejects('a:\nexit\na:', 3, 1, /^duplicate label 'a' \(first defined on line 1\)$/);
  rejects('lddw %r0', 1, 1, /^lddw takes 2 operands, got 1$/);
  rejects('add %r0, 1, 2', 1, 1, /^add takes 2 operands, got 3$/);
  rejects('lock', 1, 1, /^Invalid number of operands for lock: expected lock \[fetch\]/);
  rejects('lock or [%r10-8]', 1, 1, /^Invalid number of operands for lock or: it takes 2 operands, got 1$/);
  rejects('lock nand [%r10-8], %r1', 1, 6, /^unknown atomic operation 'nand' after 'lock'$/);
  rejects('lock fetch nand [%r10-8], %r1', 1, 12, /^unknown atomic operation 'nand' after 'lock'$/);
  rejects('ldxb %r0, %r1', 1, 11, /^expected a memory operand like \[%r1\+2\], got '%r1'$/);
  rejects('', 1, 1, /^empty program: no instructions$/);
  rejects('# nothing\nlabel:\n', 1, 1, /^empty program/);
  rejects('mov %r0, 12ab', 1, 10, /^malformed number '12ab'$/);
  rejects('movsx864 %r0, 5', 1, 15, /^movsx864 takes a register source, got '5'$/);
  rejects('lddw %r0, 1, 9', 1, 14, /^lddw pseudo source 9 is not one of 0, 1, 2, 3, 4, 5, 6$/);
  rejects('(b7) r0 = r1', 1, 1, /^opcode \(b7\) does not match the instruction, which encodes as \(bf\)$/);
  rejects('(b7)', 1, 1, /^expected an instruction after the opcode \(b7\)$/);
  rejects('call bpf_map_lookup_elem', 1, 6, /^unknown helper or label 'bpf_map_lookup_elem' \(helpers are called by name only when a helperId resolver is given\)$/);
  rejects('call no_such_helper', 1, 6, /^unknown helper or label 'no_such_helper'$/, { helperId: helperIdByName });
  rejects('call odd', 1, 6, /^helperId gave 1.5 for 'odd', which is not a 32-bit helper id$/, { helperId: () => 1.5 });
  rejects('exit 1', 1, 1, /^exit takes 0 operands, got 1$/);
  rejects('mov %r0, 1 junk', 1, 12, /^unexpected 'junk' after the operands of mov$/);
});

test('errors in the kernel syntax', () => {
  rejects('w0 += r1', 1, 7, /^registers of different widths: w0 with r1$/);
  rejects('if r1 > w2 goto +1', 1, 9, /^registers of different widths/);
  rejects('r1 = be16 r2', 1, 11, /^byte swaps work in place: expected r1, got 'r2'$/);
  rejects('r0 = -r1', 1, 7, /^negation works in place: expected r0, got 'r1'$/);
  rejects('r1 = *(s64 *)(r2 + 0)', 1, 8, /^expected a type u8, u16, u32, u64, s8, s16 or s32, got 's64'$/);
  rejects('*(s32 *)(r1 + 0) = 1', 1, 2, /^stores take an unsigned type/);
  rejects('r1 = *(u8 *)skb[0]', 1, 1, /^packet loads write r0, got 'r1'$/);
  rejects('r1 = 0x100000000', 1, 6, /^immediate 0x100000000 does not fit in 32 bits \(.*\); write '0x100000000 ll' for a 64-bit load$/);
  rejects('w1 = 1 ll', 1, 1, /^a 64-bit load takes a 64-bit register like r1, got 'w1'$/);
  rejects('r1 = atomic_fetch_add((u64 *)(r2 + 0), r3)', 1, 1, /returns the old value in its source register/);
  rejects('r1 = atomic64_fetch_add((u32 *)(r2 + 0), r1)', 1, 25, /^atomic64_fetch_add works on \(u64 \*\), got \(u32 \*\)$/);
  rejects('r1 = atomic_fetch_add((u16 *)(r2 + 0), r1)', 1, 23, /^atomic operations take \(u32 \*\) or \(u64 \*\), got \(u16 \*\)$/);
  rejects('r1 = cmpxchg_64(r2 + 0, r0, r3)', 1, 1, /^cmpxchg writes r0, got 'r1'$/);
  rejects('lock *(u64 *)(r1 + 0) -= r2', 1, 23, /^expected an atomic operator \+=, \|=, &= or \^=, got '-='$/);
  rejects('if r1 =~ 3 goto +1', 1, 7, /^expected a comparison like ==/);
  rejects('if r1 == 3 goto', 1, 16, /^expected a jump target like \+3, -2 or a label, got the end of the line$/);
  rejects('w1 = (s32)w2', 1, 7, /^\(s32\) only extends into a 64-bit register$/);
  rejects('r1 = map[id:4294967296]', 1, 13, /^map id 4294967296 does not fit in 32 bits$/);
  rejects('ld_pseudo r1, 7, 0', 1, 15, /^ld_pseudo source 7 is not a pseudo source of lddw$/);
  rejects('r1 ?= 3', 1, 4, /^expected an assignment like '=', '\+=' or 's>>=', got '\?'$/);
});

test('errors name the file they were given', () => {
  assert.throws(() => assemble('exit\nbogus', { file: 'prog.s' }), (e: unknown) => e instanceof AsmError && e.file === 'prog.s' && e.line === 2);
});

test('a label too far for a 16-bit offset is an error; ja32 reaches it', () => {
  const filler = Array.from({ length: 32768 }, () => 'mov %r0, 0').join('\n');
  rejects(`ja far\n${filler}\nfar: exit`, 1, 4, /^label 'far' is 32768 slots away: too far for a 16-bit jump offset$/);
  const insns = assemble(`ja32 far\n${filler}\nfar: exit`);
  assert.deepEqual(insns[0], insn(0x06, 0, 0, 0, 32768));
});
