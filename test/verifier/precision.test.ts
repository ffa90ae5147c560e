/** Imprecise scalars at checkpoints: pruned over when nothing depends on them, compared when something does. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verify } from '../../src/verifier/index.js';
import { parseCase } from './corpus.js';

const run = (file: string, logLevel: 0 | 1 | 2) => {
  const c = parseCase(file);
  return verify(c.insns, { progType: c.prog, maps: c.maps, license: c.license, logLevel });
};

test('a scalar nothing depends on does not stop the second path at the join from being pruned', () => {
  const r = run('prune-imprecise-scalar.s', 2);
  assert.equal(r.accepted, true);
  // insn 19 is `join`: the r7 = 100 path is safe there although r7 was 0 on the first one.
  assert.match(r.log, /^19: safe$/m);
});

test('a scalar that became a pointer offset after the join is compared there, and its other value rejected', () => {
  const r = run('prune-precise-scalar-offset.s', 2);
  assert.equal(r.accepted, false);
  assert.doesNotMatch(r.log, /^19: safe$/m);
  assert.equal(r.error?.message, 'invalid access to map value, value_size=8 off=100 size=1\nR0 min value is outside of the allowed memory range');
});

test('log level 1 rejects with the same walk and counts as level 0 and 2', () => {
  for (const file of ['prune-imprecise-scalar.s', 'prune-precise-scalar-offset.s', 'loop-stack-oob.s']) {
    const [zero, one, two] = ([0, 1, 2] as const).map((l) => run(file, l));
    assert.deepEqual(one.error, zero.error, file);
    assert.deepEqual(one.error, two.error, file);
    assert.equal(one.processedInsns, two.processedInsns, file);
    assert.equal(one.processedInsns, zero.processedInsns, file);
  }
});

test('a scalar spilled before the join and filled after it is compared at the join through its stack slot', () => {
  const r = run('prune-precise-spilled-scalar.s', 2);
  assert.equal(r.accepted, false);
  assert.doesNotMatch(r.log, /safe$/m);
  assert.equal(r.error?.message, 'invalid access to map value, value_size=8 off=100 size=1\nR0 min value is outside of the allowed memory range');
});

test('a scalar made precise makes the scalars linked to it (same id) at a checkpoint precise too', () => {
  const r = run('prune-precise-linked-scalar.s', 2);
  assert.equal(r.accepted, false);
  assert.doesNotMatch(r.log, /safe$/m);
});

test('only the loop counter becomes precise: iterations that differ in a counter of hits prune', () => {
  const r = run('prune-loop-imprecise-counter.s', 1);
  assert.equal(r.accepted, true);
  // Each of the 64 iterations forks on the lookup; with every scalar precise the walk doubles each time.
  assert.ok(r.processedInsns < 5000, `processed ${r.processedInsns}`);
});
