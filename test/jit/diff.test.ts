/**
 * Random programs give the same r0, instruction count, faults and memory on
 * the interpreter and the JIT. A few hundred here; `npm run diff:jit [N]`
 * (default 100,000) runs more.
 */
import { test } from 'node:test';
import { runDifferential } from './diff.js';

test('interpreter and JIT agree on 300 random programs (unverified shapes: faults, irreducible jumps, recursion)', () => {
  runDifferential(300);
});
