/**
 * Random programs give the same r0, instruction count, faults and memory on
 * the interpreter and the JIT. A few hundred here; `npm run diff:jit [N]`
 * (default 100,000) runs more; `--verified` runs programs our verifier
 * accepts, the JIT loading them as verified (vdiff.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDifferential } from './diff.js';
import { formatVerifiedStats, runVerifiedDifferential } from './vdiff.js';

test('interpreter and JIT agree on 300 random programs (unverified shapes: faults, irreducible jumps, recursion)', () => {
  runDifferential(300);
});

test('interpreter and JIT (loaded as verified) agree on 300 programs our verifier accepts: calls of every arity, nested, bpf_loop, tail calls', () => {
  const stats = runVerifiedDifferential(300, 6);
  // The generators must keep producing what this mode is for: accepted programs, with calls.
  assert.ok(stats.accepted >= 100, formatVerifiedStats(stats));
  assert.ok(stats.withCalls >= 50 && stats.nested >= 10, formatVerifiedStats(stats));
  assert.ok(stats.arities.every((n) => n > 0), `callees of every arity 0–5: ${formatVerifiedStats(stats)}`);
  assert.ok(stats.withCallbacks >= 20 && stats.bySource.tail.accepted >= 20, `bpf_loop and tail calls: ${formatVerifiedStats(stats)}`);
});
