/**
 * The differential harness in `npm test`: a few hundred random programs on
 * the interpreter and in the kernel must agree, and a planted bug must be
 * found and shrunk to a small reproducer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BPF_ALU64, BPF_ARSH, BPF_K, BPF_X } from '../../src/isa/index.js';
import { kernelOrSkip } from '../kernel/env.js';
import { formatReport, interpreterEngine, runDiff, type Engine } from './diff-kernel.js';

test('200 random programs: the interpreter agrees with the kernel', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const report = runDiff(kernel, { count: 200, seed: 20260101 });
  t.diagnostic(formatReport(report));
  assert.equal(report.programs, 200);
  assert.equal(report.disagreed, 0, formatReport(report));
  assert.ok(report.rejected <= 2, `the generator should make programs the kernel accepts: ${formatReport(report)}`);
  assert.equal(report.agreed + report.rejected, 200);
});

test('a planted interpreter bug is found, shrunk and printed as assembly', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const interp = interpreterEngine();
  const arsh = new Set([BPF_ALU64 | BPF_ARSH | BPF_K, BPF_ALU64 | BPF_ARSH | BPF_X]);
  // Wrong whenever the program has a 64-bit arithmetic shift.
  const buggy: Engine = (insns, input) => {
    const r = interp(insns, input);
    return insns.some((i) => arsh.has(i.code)) && r.r0 !== undefined ? { ...r, r0: r.r0 ^ 1n } : r;
  };
  const report = runDiff(kernel, { count: 200, seed: 7 }, buggy);
  assert.ok(report.disagreed > 0);
  assert.ok(report.shrunk);
  const text = formatReport(report);
  t.diagnostic(text);
  assert.match(text, /^200 programs, \d+ agreed, [1-9]\d* disagreed/);
  assert.match(text, /s>>=/, 'the reproducer keeps the shift');
  const body = report.shrunk.insns.filter((i) => arsh.has(i.code));
  assert.equal(body.length, 1, 'shrunk to the one instruction that matters');
  assert.match(text, /^interpreter: r0 = 0x[0-9a-f]+, memory = [0-9a-f]+$/m);
  assert.match(text, /^kernel: {6}r0 = 0x[0-9a-f]+, memory = [0-9a-f]+$/m);
});
