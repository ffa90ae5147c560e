/**
 * Programs loaded as verified (the verifier proved that they terminate)
 * run without the instruction budget, as in the kernel; the code the JIT
 * makes for them has no budget accounting at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../src/asm/index.js';
import { RuntimeError } from '../../src/helpers/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { Jit } from '../../src/jit/index.js';
import { Runtime } from '../../src/runtime/index.js';

/** 3,000 iterations of a four-instruction loop with a forward merge in it: some 12,000 instructions. */
const LOOP = `
  r0 = 0
  r1 = 3000
loop:
  if r1 > 1500 goto big
  r0 += 1
  goto next
big:
  r0 += 2
next:
  r1 -= 1
  if r1 != 0 goto loop
  exit`;

test('a verified program runs past maxInsns and reports no count; unverified, the same program is stopped', () => {
  const space = new AddressSpace();
  const jit = new Jit(space, { maxInsns: 1000 });
  try {
    const insns = assemble(LOOP);
    assert.deepEqual(jit.load(insns, { verified: true }).run(), { r0: 4500n, insns: undefined });
    assert.throws(() => jit.load(insns).run(), (e) => e instanceof RuntimeError && /instruction budget of 1000 exhausted/.test(e.message));
  } finally {
    jit.dispose();
  }
});

test('the verified module has no budget code: no fuel checks, no per-edge subtractions', () => {
  const space = new AddressSpace();
  const jit = new Jit(space);
  try {
    const insns = assemble(LOOP);
    const verified = jit.load(insns, { verified: true }), budgeted = jit.load(insns);
    assert.equal(verified.compiled.budget, false);
    assert.equal(budgeted.compiled.budget, true);
    // The run's budget goes to the global (a tail-call target without the verifier's word counts from it); no fuel local is read.
    assert.doesNotMatch(verified.wat(), /local\.get \$fuel|i64\.lt_s\s+if\b.*\n\s+unreachable/);
    assert.match(budgeted.wat(), /local\.get \$fuel[\s\S]*i64\.lt_s\s+if\b.*\n\s+unreachable/);
    assert.ok(verified.wasm.length < budgeted.wasm.length);
  } finally {
    jit.dispose();
  }
});

test('a runtime passes the verifier\'s verdict on: verified loads ignore maxInsns on the JIT, verify: false keeps it', () => {
  const rt = new Runtime({ engine: 'jit', maxInsns: 1000 });
  try {
    const insns = assemble(LOOP);
    assert.equal(rt.load(insns).run({}).r0, 4500n);
    assert.throws(() => rt.load(insns, { verify: false }).run({}), (e) => e instanceof RuntimeError && /instruction budget/.test(e.message));
  } finally {
    rt.dispose();
  }
});
