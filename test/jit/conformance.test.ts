/**
 * The BPF conformance suite on the JIT, with the interpreter's contract
 * (the mem section as a region, r1 = its address, r2 = its length): every
 * program in tests/ gives its expected r0 (or fails when it expects an
 * error); every raw program in negative/ is rejected when loaded. The same
 * check (test/browser/page.ts) runs in Chromium in test/browser/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conformance } from '../browser/page.js';
import { conformanceCases, negativeCases } from '../conformance-cases.js';

for (const shared of [false, true]) {
  test(`conformance tests/: every program gives its expected r0 on the JIT (${shared ? 'shared' : 'unshared'} memory)`, () => {
    const cases = conformanceCases();
    assert.equal(cases.length, 313);
    assert.deepEqual(conformance(cases, 'jit', shared), { passed: 313, failures: [] });
  });
}

test('conformance negative/: every raw program is rejected when loaded, with an InstructionError', () => {
  const cases = negativeCases();
  assert.ok(cases.length >= 40, `only ${cases.length} raw negative files`);
  assert.deepEqual(conformance(cases, 'jit', false), { passed: cases.length, failures: [] });
});
