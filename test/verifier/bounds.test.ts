/**
 * bounds.ts runs `reg_bounds_sync` on the 32-bit halves of its 64-bit
 * bounds. These tests hold it to a plain bigint transcription of the
 * kernel's functions (below), on any bounds, consistent or not: the same
 * bounds must come out, bit for bit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  regBoundOffset, regBoundsSync, tnumStepOf, updateReg64Bounds, updateRegBounds, type ScalarBounds,
} from '../../src/verifier/bounds.js';
import type { Tnum } from '../../src/verifier/tnum.js';
import { boundsOfSet, show, value64, valueSet } from './model.js';

const U64 = (1n << 64n) - 1n;
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const lo32 = (v: bigint): number => Number(v & 0xffffffffn);
const s32 = (v: number): number => v | 0;
const u32 = (v: number): number => v >>> 0;
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

function tnumRange(lo: bigint, hi: bigint): Tnum {
  const chi = u64(lo ^ hi);
  const bits = chi === 0n ? 0 : chi.toString(2).length;
  if (bits > 63) return { value: 0n, mask: U64 };
  const delta = (1n << BigInt(bits)) - 1n;
  return { value: u64(lo & ~delta), mask: delta };
}

function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value, mu = a.mask & b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

function update32(b: ScalarBounds): void {
  const value = lo32(b.varOff.value), mask = lo32(b.varOff.mask);
  b.s32Min = Math.max(b.s32Min, s32(value | (mask & 0x80000000)));
  b.s32Max = Math.min(b.s32Max, s32(value | (mask & 0x7fffffff)));
  b.u32Min = Math.max(b.u32Min, value);
  b.u32Max = Math.min(b.u32Max, u32(value | mask));
}

/**
 * tnum_step by its definition: the smallest member above z differs from z first (from the top) at a bit
 * where z has 0 and the member 1, keeps z's bits above it (which must fit the tnum) and is least below.
 */
function tnumStepRef(t: Tnum, z: bigint): bigint {
  const tmax = t.value | t.mask;
  if (z >= tmax) return tmax;
  if (z < t.value) return t.value;
  for (let i = 0n; i < 64n; i++) {
    const above = U64 & ~((2n << i) - 1n);
    const fits = ((z & above & ~t.mask) ^ (t.value & above)) === 0n;
    if (fits && !((z >> i) & 1n) && ((t.mask | t.value) >> i) & 1n) return (z & above) | (1n << i) | (t.value & ((1n << i) - 1n));
  }
  throw new Error('no member above z below tmax');
}

function update64(b: ScalarBounds): void {
  const t = b.varOff;
  b.smin = max(b.smin, s64(t.value | (t.mask & (1n << 63n))));
  b.smax = min(b.smax, s64(t.value | (t.mask & ((1n << 63n) - 1n))));
  b.umin = max(b.umin, t.value);
  b.umax = min(b.umax, t.value | t.mask);
  const next = tnumStepRef(t, b.umin), tmax = t.value | t.mask;
  const uminIn = (b.umin & ~t.mask) === t.value;
  const known = (v: bigint): void => {
    b.varOff = { value: v, mask: 0n };
    b.umin = b.umax = v;
    b.smin = b.smax = s64(v);
    b.u32Min = b.u32Max = lo32(v);
    b.s32Min = b.s32Max = s32(lo32(v));
  };
  if (uminIn && next > b.umax) known(b.umin);
  else if (!uminIn && next === tmax) known(tmax);
  else if (!uminIn && next <= b.umax && tnumStepRef(t, next) > b.umax) known(next);
}

function deduce32(b: ScalarBounds): void {
  const hi = (v: bigint): bigint => u64(v) >> 32n;
  const narrow = (lo: bigint, hiV: bigint): void => {
    b.u32Min = Math.max(b.u32Min, lo32(lo));
    b.u32Max = Math.min(b.u32Max, lo32(hiV));
    if (s32(lo32(lo)) <= s32(lo32(hiV))) {
      b.s32Min = Math.max(b.s32Min, s32(lo32(lo)));
      b.s32Max = Math.min(b.s32Max, s32(lo32(hiV)));
    }
  };
  if (hi(b.umin) === hi(b.umax)) narrow(b.umin, b.umax);
  if (hi(b.smin) === hi(b.smax)) narrow(b.smin, b.smax);
  const crossing = (lo: bigint, hiV: bigint): void => {
    if (u64(hi(lo) + 1n) % (1n << 32n) === hi(hiV) && s32(lo32(lo)) < 0 && s32(lo32(hiV)) >= 0) {
      b.s32Min = Math.max(b.s32Min, s32(lo32(lo)));
      b.s32Max = Math.min(b.s32Max, s32(lo32(hiV)));
    }
  };
  crossing(b.umin, b.umax);
  crossing(b.smin, b.smax);
  if (s32(b.u32Min) <= s32(b.u32Max)) {
    b.s32Min = Math.max(b.s32Min, s32(b.u32Min));
    b.s32Max = Math.min(b.s32Max, s32(b.u32Max));
  }
  if (u32(b.s32Min) <= u32(b.s32Max)) {
    b.u32Min = Math.max(u32(b.s32Min), b.u32Min);
    b.u32Max = Math.min(u32(b.s32Max), b.u32Max);
  }
}

function deduce64(b: ScalarBounds): void {
  if (s64(b.umin) <= s64(b.umax)) {
    b.smin = max(b.smin, s64(b.umin));
    b.smax = min(b.smax, s64(b.umax));
  }
  if (u64(b.smin) <= u64(b.smax)) {
    b.umin = max(u64(b.smin), b.umin);
    b.umax = min(u64(b.smax), b.umax);
  } else if (b.umax < u64(b.smin)) {
    b.smin = s64(b.umin);
    b.umax = min(b.umax, u64(b.smax));
  } else if (u64(b.smax) < b.umin) {
    b.smax = s64(b.umax);
    b.umin = max(b.umin, u64(b.smin));
  }
}

function deduceMixed(b: ScalarBounds): void {
  const withLo = (v: bigint, lo: number): bigint => (v & ~0xffffffffn) | BigInt(lo);
  if (lo32(b.umin) < b.u32Min) b.umin = withLo(b.umin, b.u32Min);
  if (lo32(b.umax) > b.u32Max) b.umax = withLo(b.umax, b.u32Max);
  if (lo32(b.smin) < b.u32Min) b.smin = withLo(b.smin, b.u32Min);
  if (lo32(b.smax) > b.u32Max) b.smax = withLo(b.smax, b.u32Max);
  if (b.s32Min >= 0 && b.smin >= -(1n << 31n) && b.smax < 1n << 31n) {
    // As the kernel's u64 fields: an s32 maximum below 0 (inconsistent bounds) sign-extends.
    b.smin = BigInt(b.s32Min);
    b.smax = BigInt(b.s32Max);
    b.umin = BigInt(b.s32Min);
    b.umax = u64(BigInt(b.s32Max));
    b.varOff = tnumIntersect(b.varOff, tnumRange(b.smin, b.smax));
  }
}

function boundOffset(b: ScalarBounds): void {
  const var64 = tnumIntersect(b.varOff, tnumRange(b.umin, b.umax));
  const sub = { value: var64.value & 0xffffffffn, mask: var64.mask & 0xffffffffn };
  const var32 = tnumIntersect(sub, tnumRange(BigInt(b.u32Min), BigInt(b.u32Max)));
  const v = (var64.value & ~0xffffffffn) | var32.value, mu = (var64.mask & ~0xffffffffn) | var32.mask;
  b.varOff = { value: v, mask: mu & ~v & U64 };
}

function syncReference(b: ScalarBounds): void {
  update32(b);
  update64(b);
  for (let i = 0; i < 2; i++) {
    deduce32(b);
    deduce64(b);
    deduceMixed(b);
  }
  boundOffset(b);
  update32(b);
  update64(b);
}

const s32Arb = fc.oneof(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.integer({ min: -300, max: 300 }));
const u32Arb = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0xfffffed3, max: 0xffffffff }));

/** Any bounds, mostly inconsistent ones: every field drawn on its own (a tnum keeps value & mask = 0). */
const anyBounds = fc.record({
  value: value64, mask: value64, umin: value64, umax: value64, smin: value64, smax: value64,
  s32Min: s32Arb, s32Max: s32Arb, u32Min: u32Arb, u32Max: u32Arb,
}).map((r): ScalarBounds => ({
  varOff: { value: r.value & ~r.mask, mask: r.mask },
  umin: r.umin, umax: r.umax, smin: s64(r.smin), smax: s64(r.smax),
  s32Min: r.s32Min, s32Max: r.s32Max, u32Min: r.u32Min, u32Max: r.u32Max,
}));

/** Bounds of a set of values, then one field moved: near-consistent bounds, as a branch leaves them. */
const nearBounds = fc.tuple(valueSet, fc.integer({ min: 0, max: 9 }), value64).map(([xs, field, v]): ScalarBounds => {
  const b = boundsOfSet(xs);
  switch (field) {
    case 0: return { ...b, umin: v };
    case 1: return { ...b, umax: v };
    case 2: return { ...b, smin: s64(v) };
    case 3: return { ...b, smax: s64(v) };
    case 4: return { ...b, u32Min: lo32(v) };
    case 5: return { ...b, u32Max: lo32(v) };
    case 6: return { ...b, s32Min: s32(lo32(v)) };
    case 7: return { ...b, s32Max: s32(lo32(v)) };
    case 8: return { ...b, varOff: { value: v & ~b.varOff.mask, mask: b.varOff.mask } };
    default: return b;
  }
});

const copy = (b: ScalarBounds): ScalarBounds => ({ ...b, varOff: { ...b.varOff } });

function same(ours: ScalarBounds, ref: ScalarBounds, from: ScalarBounds): void {
  assert.deepEqual({ ...ours, varOff: { ...ours.varOff } }, ref, `from ${show(from)}`);
}

for (const [name, arb] of [['any bounds', anyBounds], ['near-consistent bounds', nearBounds]] as const) {
  test(`reg_bounds_sync on halves equals the bigint transcription: ${name}`, () => {
    fc.assert(fc.property(arb, (b) => {
      const ours = copy(b), ref = copy(b);
      regBoundsSync(ours);
      syncReference(ref);
      same(ours, ref, b);
    }), { numRuns: 3000 });
  });

  test(`__update_reg_bounds and __reg_bound_offset on halves equal the bigint transcription: ${name}`, () => {
    fc.assert(fc.property(arb, (b) => {
      const ours = copy(b), ref = copy(b);
      updateRegBounds(ours);
      update32(ref);
      update64(ref);
      same(ours, ref, b);
      const ours64 = copy(b), ref64 = copy(b);
      updateReg64Bounds(ours64);
      update64(ref64);
      same(ours64, ref64, b);
      const oursOff = copy(b), refOff = copy(b);
      regBoundOffset(oursOff);
      boundOffset(refOff);
      same(oursOff, refOff, b);
    }), { numRuns: 2000 });
  });
}

/** A tnum with a few unknown bits anywhere (its members can be listed), or any tnum. */
const tnumArb = fc.oneof(
  fc.tuple(value64, fc.array(fc.integer({ min: 0, max: 63 }), { maxLength: 10 })).map(([v, bits]): Tnum => {
    const mask = bits.reduce((m, k) => m | (1n << BigInt(k)), 0n);
    return { value: v & ~mask, mask };
  }),
  fc.tuple(value64, value64).map(([v, m]): Tnum => ({ value: v & ~m, mask: m })),
);

test('tnum_step is the smallest member above z (listed members; the definition for any tnum)', () => {
  fc.assert(fc.property(tnumArb, value64, (t, z) => {
    assert.equal(tnumStepOf(t, z), tnumStepRef(t, z), `t=(${t.value}; ${t.mask}) z=${z}`);
    const popcount = t.mask.toString(2).replace(/0/g, '').length;
    if (popcount > 10) return;
    const members: bigint[] = [];
    for (let k = 0n; k < 1n << BigInt(popcount); k++) {
      let v = t.value, bit = 0n;
      for (let i = 0n; i < 64n; i++) if ((t.mask >> i) & 1n) { if ((k >> bit) & 1n) v |= 1n << i; bit++; }
      members.push(v);
    }
    members.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const tmax = members[members.length - 1];
    const expected = z < t.value ? t.value : z >= tmax ? tmax : members.find((v) => v > z)!;
    assert.equal(tnumStepOf(t, z), expected);
  }), { numRuns: 3000 });
});
