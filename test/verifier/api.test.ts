import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble } from '../../src/asm/index.js';
import { EbpfError, VerifierError } from '../../src/internal/errors.js';
import { helperIdByName } from '../../src/platform/helper-ids.js';
import { verify, verifyOrThrow } from '../../src/verifier/index.js';

const asm = (text: string) => assemble(text, { helperId: helperIdByName });

test('verify reports the rejection, the instruction and the kernel-worded message', () => {
  const r = verify(asm('r0 = *(u64 *)(r10 - 8)\nr1 = r2\nexit'), { logLevel: 1 });
  assert.equal(r.accepted, false);
  assert.deepEqual(r.error, { insn: 1, message: 'R2 !read_ok' });
  assert.match(r.log, /^0: R1=ctx\(\) R10=fp0\n0: \(79\) r0 = \*\(u64 \*\)\(r10 -8\)/);
  assert.match(r.log, /R2 !read_ok\nprocessed 2 insns \(limit 1000000\) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n$/);
});

test('an accepted program at log level 1 logs only the statistics; level 0 logs nothing', () => {
  const insns = asm('r0 = 0\nif r1 == 0 goto +1\nr0 = 1\nexit');
  const one = verify(insns, { logLevel: 1 });
  assert.equal(one.accepted, true);
  assert.equal(one.log, `processed ${one.processedInsns} insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n`);
  assert.equal(verify(insns, { logLevel: 0 }).log, '');
});

test('verification is deterministic', () => {
  const insns = asm('r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 14\nif r4 > r3 goto +1\nr0 = *(u8 *)(r2 + 13)\nr0 = 2\nexit');
  const a = verify(insns, { progType: 'xdp', logLevel: 2 });
  const b = verify(insns, { progType: 'xdp', logLevel: 2 });
  assert.equal(a.log, b.log);
  assert.deepEqual(a.aux, b.aux);
});

test('aux says which instructions ran and through which pointer type they accessed memory', () => {
  const r = verify(asm('r2 = *(u32 *)(r1 + 0)\n*(u64 *)(r10 - 8) = r2\nr0 = 0\nexit'));
  assert.equal(r.accepted, true);
  assert.deepEqual(r.aux.map((a) => a.ptrType), ['ctx', 'fp', undefined, undefined]);
  assert.ok(r.aux.every((a) => a.seen));
});

test('verifyOrThrow throws a VerifierError with the log and a summary', () => {
  assert.throws(() => verifyOrThrow(asm('r0 = 1\nr0 /= 0\nexit')), (err: unknown) => {
    assert.ok(err instanceof VerifierError);
    assert.equal(err.code, 'EVERIFIER');
    assert.equal(err.insn, 1);
    assert.match(err.summary, /^rejected at insn 1: \(37\) r0 \/= 0\n  error: div by zero\n/);
    assert.match(err.summary, /hint: this divides by the constant 0/);
    assert.match(err.log, /div by zero/);
    return true;
  });
  assert.equal(verifyOrThrow(asm('r0 = 0\nexit')).accepted, true);
});

test('an unknown program type and a malformed instruction are typed errors or rejections, never crashes', () => {
  assert.throws(() => verify(asm('r0 = 0\nexit'), { progType: 'no_such_type' }), EbpfError);
  const r = verify([{ code: 0xff, dst: 0, src: 0, off: 0, imm: 0 }]);
  assert.equal(r.accepted, false);
  assert.equal(r.error?.message, 'unknown opcode ff');
});

test('unprivileged mode refuses pointer leaks and uninitialised stack reads', () => {
  const leak = verify(asm('r0 = r10\nexit'), { unprivileged: true });
  assert.equal(leak.error?.message, 'R0 leaks addr as return value');
  assert.equal(verify(asm('r0 = r10\nexit')).accepted, true);
  const uninit = verify(asm('r0 = *(u64 *)(r10 - 8)\nexit'), { unprivileged: true });
  assert.equal(uninit.error?.message, 'invalid read from stack off -8+0 size 8');
});

test('the log names the source line before its first instruction, as the kernel does from BTF line_info', () => {
  const lineInfo = [
    { insnOff: 0, fileName: '/src/prog.c', line: '  int x = 0;', lineNum: 5, lineCol: 3 },
    // Another column of the same line: not printed again.
    { insnOff: 2, fileName: '/src/prog.c', line: '  int x = 0;', lineNum: 5, lineCol: 9 },
    { insnOff: 3, fileName: '/src/prog.c', line: 'return x;', lineNum: 6, lineCol: 2 },
  ];
  const r = verify(asm('r0 = 0\nr1 = 1\nr2 = 2\nexit'), { logLevel: 2, lineInfo });
  const sourceLines = r.log.split('\n').filter((l) => l.startsWith(';'));
  assert.deepEqual(sourceLines, ['; int x = 0; @ prog.c:5', '; return x; @ prog.c:6']);
  assert.match(r.log, /\n0: R1=ctx\(\) R10=fp0\n; int x = 0; @ prog.c:5\n0: \(b7\) r0 = 0/);
  assert.match(r.log, /\n; return x; @ prog.c:6\n3: \(95\) exit\n/);
});

test('the log prints a map load as the address it resolves to, as the kernel does, and 0 for an fd load without CAP_PERFMON', () => {
  const maps = [{ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1 }, { type: 'array', keySize: 4, valueSize: 16, maxEntries: 1 }];
  const insns = asm('ld_pseudo r1, 5, 1\nld_pseudo r2, 6, 1\nr0 = 0\nexit');
  insns[3].imm = 8; // BPF_PSEUDO_MAP_IDX_VALUE: the value's offset
  const log = verify(insns, { maps, logLevel: 2 }).log;
  assert.match(log, /^ {6}0: \.\.\.\.\.\.\.\.\.\. \(18\) r1 = 0xffff888100010000$/m);
  assert.match(log, /^0: \(18\) r1 = 0xffff888100010000 +; R1=map_ptr\(ks=4,vs=16\)$/m);
  assert.match(log, /^2: \(18\) r2 = 0xffff888100010208 +; R2=map_value\(ks=4,vs=16,off=8\)$/m);
  const fd = asm('ld_pseudo r1, 1, 0\nr0 = 0\nexit');
  assert.match(verify(fd, { maps, logLevel: 2 }).log, /^0: \(18\) r1 = 0xffff888100000000 /m);
  assert.match(verify(fd, { maps, logLevel: 2, unprivileged: true }).log, /^0: \(18\) r1 = 0x0 /m);
});

test('unprivileged mode: the socket casts are CAP_PERFMON helpers (bpf_sk_base_func_proto)', () => {
  const cast = asm('r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto +1\ncall bpf_skc_to_tcp_sock\nr0 = 0\nexit');
  assert.equal(verify(cast, { progType: 'sched_cls', license: 'GPL' }).accepted, true);
  assert.equal(verify(cast, { progType: 'sched_cls', license: 'GPL', unprivileged: true }).error?.message, 'program of this type cannot use helper bpf_skc_to_tcp_sock#137');
});
