import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  tnumAdd, tnumAnd, tnumArshift, tnumCast, tnumConst, tnumContains, tnumIn, tnumIntersect, tnumLshift, tnumMul,
  tnumNeg, tnumOr, tnumRange, tnumRshift, tnumStr, tnumSub, tnumSubreg, tnumWithSubreg, tnumXor, type Tnum,
} from '../../src/verifier/tnum.js';
import { tnumOfSet, valueSet } from './model.js';

const U64 = (1n << 64n) - 1n;
const u = (v: bigint): bigint => v & U64;

const binary: Array<[string, (a: Tnum, b: Tnum) => Tnum, (x: bigint, y: bigint) => bigint]> = [
  ['add', tnumAdd, (x, y) => u(x + y)],
  ['sub', tnumSub, (x, y) => u(x - y)],
  ['mul', tnumMul, (x, y) => u(x * y)],
  ['and', tnumAnd, (x, y) => x & y],
  ['or', tnumOr, (x, y) => x | y],
  ['xor', tnumXor, (x, y) => x ^ y],
];

for (const [name, op, concrete] of binary) {
  test(`tnum ${name} holds every concrete result`, () => {
    fc.assert(fc.property(valueSet, valueSet, (xs, ys) => {
      const a = tnumOfSet(xs), b = tnumOfSet(ys), r = op(a, b);
      for (const x of xs) for (const y of ys) {
        assert.ok(tnumContains(r, concrete(x, y)), `${tnumStr(a)} ${name} ${tnumStr(b)} = ${tnumStr(r)} misses ${x} ${name} ${y}`);
      }
      assert.equal(r.value & r.mask, 0n);
    }), { numRuns: 400 });
  });
}

test('tnum shifts, neg, cast and subreg hold every concrete result', () => {
  fc.assert(fc.property(valueSet, fc.integer({ min: 0, max: 63 }), (xs, s) => {
    const a = tnumOfSet(xs);
    for (const x of xs) {
      assert.ok(tnumContains(tnumLshift(a, s), u(x << BigInt(s))));
      assert.ok(tnumContains(tnumRshift(a, s), x >> BigInt(s)));
      assert.ok(tnumContains(tnumArshift(a, s, 64), u(BigInt.asIntN(64, x) >> BigInt(s))));
      assert.ok(tnumContains(tnumArshift(tnumSubreg(a), s % 32, 32),
        BigInt.asUintN(32, BigInt.asIntN(32, x) >> BigInt(s % 32))));
      assert.ok(tnumContains(tnumNeg(a), u(-x)));
      assert.ok(tnumContains(tnumCast(a, 2), x & 0xffffn));
      assert.ok(tnumContains(tnumSubreg(a), x & 0xffffffffn));
    }
  }), { numRuns: 400 });
});

test('tnum range holds its interval; intersect and in agree with membership', () => {
  fc.assert(fc.property(valueSet, valueSet, (xs, ys) => {
    const lo = xs.reduce((a, v) => (v < a ? v : a)), hi = xs.reduce((a, v) => (v > a ? v : a));
    const r = tnumRange(lo, hi);
    for (const x of xs) assert.ok(tnumContains(r, x));
    assert.ok(tnumContains(r, lo + (hi - lo) / 2n));
    const a = tnumOfSet(xs), b = tnumOfSet(ys);
    const both = xs.filter((x) => tnumContains(b, x));
    const i = tnumIntersect(a, b);
    for (const x of both) assert.ok(tnumContains(i, x));
    if (tnumIn(a, b)) for (const y of ys) assert.ok(tnumContains(a, y));
    assert.ok(tnumIn(a, a));
    const w = tnumWithSubreg(a, b);
    for (const x of xs) for (const y of ys) assert.ok(tnumContains(w, (x & ~0xffffffffn & U64) | (y & 0xffffffffn)));
  }), { numRuns: 400 });
});

test('tnum examples from kernel/bpf/tnum.c', () => {
  assert.deepEqual(tnumRange(0n, 255n), { value: 0n, mask: 0xffn });
  assert.deepEqual(tnumRange(16n, 31n), { value: 16n, mask: 0xfn });
  assert.deepEqual(tnumRange(0n, U64), { value: 0n, mask: U64 });
  assert.deepEqual(tnumAdd(tnumConst(3n), tnumConst(4n)), tnumConst(7n));
  assert.deepEqual(tnumAnd({ value: 0n, mask: U64 }, tnumConst(0xffn)), { value: 0n, mask: 0xffn });
  assert.deepEqual(tnumMul(tnumConst(6n), tnumConst(7n)), tnumConst(42n));
  assert.equal(tnumStr({ value: 0n, mask: 0xffn }), '(0x0; 0xff)');
});
