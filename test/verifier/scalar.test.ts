import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BPF_NEG, BPF_OR } from '../../src/isa/index.js';
import { boundsContain, boundsInconsistent, regBoundsSync } from '../../src/verifier/bounds.js';
import { adjustScalarMinMaxVals, cloneBounds, isScalarBranchTaken, knownScalar, regSetMinMax } from '../../src/verifier/scalar.js';
import { ALU_OPS, JMP_OPS, aluConcrete, boundsOfSet, jmpConcrete, show, valueSet } from './model.js';

const shiftSet = fc.oneof(valueSet, fc.array(fc.bigInt({ min: 0n, max: 70n }), { minLength: 1, maxLength: 2 }));

test('the tightest description of a set is consistent and holds the set after reg_bounds_sync', () => {
  fc.assert(fc.property(valueSet, (xs) => {
    const b = boundsOfSet(xs);
    assert.ok(!boundsInconsistent(b), show(b));
    for (const x of xs) assert.ok(boundsContain(b, x), `${x} not in ${show(b)}`);
  }), { numRuns: 1000 });
});

for (const alu32 of [false, true]) {
  for (const op of ALU_OPS) {
    test(`adjust_scalar_min_max_vals op 0x${op.toString(16)} ${alu32 ? 'alu32' : 'alu64'} is sound`, () => {
      fc.assert(fc.property(valueSet, shiftSet, (xs, ys) => {
        const d = boundsOfSet(xs), s = boundsOfSet(ys);
        const r = cloneBounds(d);
        adjustScalarMinMaxVals(r, s, op, alu32);
        for (const x of xs) for (const y of ys) {
          if (op !== BPF_NEG && isShift(op) && BigInt.asUintN(alu32 ? 32 : 64, y) >= (alu32 ? 32n : 64n)) continue;
          const z = aluConcrete(op, x, y, alu32);
          assert.ok(boundsContain(r, z), `${show(d)} op ${show(s)} -> ${show(r)} misses ${x},${y} -> ${z}`);
        }
      }), { numRuns: 300 });
    });
  }
}

function isShift(op: number): boolean {
  return op === 0x60 || op === 0x70 || op === 0xc0;
}

for (const jmp32 of [false, true]) {
  for (const op of [...JMP_OPS]) {
    test(`is_branch_taken and reg_set_min_max op 0x${op.toString(16)} ${jmp32 ? 'jmp32' : 'jmp'} are sound`, () => {
      fc.assert(fc.property(valueSet, valueSet, (xs, ys) => {
        const a = boundsOfSet(xs), b = boundsOfSet(ys);
        const taken = isScalarBranchTaken(a, b, op, jmp32);
        const { taken: [t1, t2], fallthrough: [f1, f2] } = regSetMinMax(a, b, op, jmp32);
        for (const x of xs) for (const y of ys) {
          const c = jmpConcrete(op, x, y, jmp32);
          if (taken === 1) assert.ok(c, `predicted taken but ${x} vs ${y} falls through`);
          if (taken === 0) assert.ok(!c, `predicted not taken but ${x} vs ${y} jumps`);
          const [r1, r2] = c ? [t1, t2] : [f1, f2];
          assert.ok(boundsContain(r1, x) && boundsContain(r2, y),
            `${c ? 'taken' : 'fallthrough'} ${show(a)} vs ${show(b)} lost ${x},${y}: ${show(r1)} ${show(r2)}`);
        }
      }), { numRuns: 300 });
    });
  }
}

test('known constants fold exactly', () => {
  const d = knownScalar(0xf0n);
  adjustScalarMinMaxVals(d, knownScalar(0x0fn), BPF_OR, false);
  assert.equal(d.varOff.mask, 0n);
  assert.equal(d.umin, 0xffn);
  const c = knownScalar(5n);
  regBoundsSync(c);
  assert.equal(c.smin, 5n);
});
