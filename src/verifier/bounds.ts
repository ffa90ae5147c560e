/**
 * The scalar part of `struct bpf_reg_state`: a tnum and signed/unsigned
 * 64- and 32-bit ranges, kept in sync as kernel/bpf/verifier.c does
 * (`__update_reg_bounds`, `__reg_deduce_bounds`, `__reg_bound_offset`).
 *
 * 64-bit quantities are bigints (unsigned for var_off and umin/umax, signed
 * for smin/smax); 32-bit ones are numbers (u32 for u32_*, s32 for s32_*).
 */
import {
  tnumClearSubreg, tnumConst, tnumIntersect, tnumIsConst, tnumOr, tnumRange, tnumSubreg, tnumUnknown,
  type Tnum,
} from './tnum.js';

export const U64_MAX = (1n << 64n) - 1n;
export const S64_MAX = (1n << 63n) - 1n;
export const S64_MIN = -(1n << 63n);
export const U32_MAX = 0xffffffff;
export const S32_MAX = 0x7fffffff;
export const S32_MIN = -0x80000000;

export interface ScalarBounds {
  varOff: Tnum;
  smin: bigint;
  smax: bigint;
  umin: bigint;
  umax: bigint;
  s32Min: number;
  s32Max: number;
  u32Min: number;
  u32Max: number;
}

export const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
/** The low 32 bits as s32 / u32; numbers (integers) take ToInt32/ToUint32, which wrap the same way without a bigint. */
export const s32 = (v: number | bigint): number => (typeof v === 'number' ? v | 0 : Number(BigInt.asIntN(32, v)));
export const u32 = (v: number | bigint): number => (typeof v === 'number' ? v >>> 0 : Number(BigInt.asUintN(32, v)));

const maxB = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);

export function unboundedScalar(): ScalarBounds {
  return {
    varOff: tnumUnknown, smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: U64_MAX,
    s32Min: S32_MIN, s32Max: S32_MAX, u32Min: 0, u32Max: U32_MAX,
  };
}

/** `__mark_reg_known`: every bound is the constant. */
export function markKnown(b: ScalarBounds, imm: bigint): void {
  const v = u64(imm);
  b.varOff = tnumConst(v);
  b.smin = b.smax = s64(v);
  b.umin = b.umax = v;
  b.s32Min = b.s32Max = s32(v);
  b.u32Min = b.u32Max = u32(v);
}

/** `__mark_reg32_known`: only the low 32 bits become the constant. */
export function markKnown32(b: ScalarBounds, imm: number): void {
  b.varOff = tnumOr(tnumClearSubreg(b.varOff), tnumConst(BigInt(u32(imm))));
  b.s32Min = b.s32Max = s32(imm);
  b.u32Min = b.u32Max = u32(imm);
}

export function markUnbounded64(b: ScalarBounds): void {
  b.smin = S64_MIN;
  b.smax = S64_MAX;
  b.umin = 0n;
  b.umax = U64_MAX;
}

export function markUnbounded32(b: ScalarBounds): void {
  b.s32Min = S32_MIN;
  b.s32Max = S32_MAX;
  b.u32Min = 0;
  b.u32Max = U32_MAX;
}

export function markUnknown(b: ScalarBounds): void {
  b.varOff = tnumUnknown;
  markUnbounded64(b);
  markUnbounded32(b);
}

/** `__update_reg32_bounds`: learn 32-bit ranges from the tnum's low half. */
export function updateReg32Bounds(b: ScalarBounds): void {
  const t = tnumSubreg(b.varOff);
  b.s32Min = Math.max(b.s32Min, s32(t.value | (t.mask & 0x80000000n)));
  b.s32Max = Math.min(b.s32Max, s32(t.value | (t.mask & 0x7fffffffn)));
  b.u32Min = Math.max(b.u32Min, Number(t.value));
  b.u32Max = Math.min(b.u32Max, Number(t.value | t.mask));
}

/** `__update_reg64_bounds`. */
export function updateReg64Bounds(b: ScalarBounds): void {
  const t = b.varOff;
  b.smin = maxB(b.smin, s64(t.value | (t.mask & (1n << 63n))));
  b.smax = minB(b.smax, s64(t.value | (t.mask & S64_MAX)));
  b.umin = maxB(b.umin, t.value);
  b.umax = minB(b.umax, t.value | t.mask);
}

export function updateRegBounds(b: ScalarBounds): void {
  updateReg32Bounds(b);
  updateReg64Bounds(b);
}

/** `__reg32_deduce_bounds`: 32-bit ranges from the 64-bit ones and from each other. */
function reg32DeduceBounds(b: ScalarBounds): void {
  // The upper halves of the u64 (or s64) range are equal: its low halves bound the subregister.
  if (b.umin >> 32n === b.umax >> 32n) {
    b.u32Min = Math.max(b.u32Min, u32(b.umin));
    b.u32Max = Math.min(b.u32Max, u32(b.umax));
    if (s32(b.umin) <= s32(b.umax)) {
      b.s32Min = Math.max(b.s32Min, s32(b.umin));
      b.s32Max = Math.min(b.s32Max, s32(b.umax));
    }
  }
  if (b.smin >> 32n === b.smax >> 32n) {
    b.u32Min = Math.max(b.u32Min, u32(b.smin));
    b.u32Max = Math.min(b.u32Max, u32(b.smax));
    if (s32(b.smin) <= s32(b.smax)) {
      b.s32Min = Math.max(b.s32Min, s32(b.smin));
      b.s32Max = Math.min(b.s32Max, s32(b.smax));
    }
  }
  // Upper halves are two consecutive numbers and the low halves cross the s32 sign boundary.
  if (u32((b.umin >> 32n) + 1n) === u32(b.umax >> 32n) && s32(b.umin) < 0 && s32(b.umax) >= 0) {
    b.s32Min = Math.max(b.s32Min, s32(b.umin));
    b.s32Max = Math.min(b.s32Max, s32(b.umax));
  }
  if (u32((b.smin >> 32n) + 1n) === u32(b.smax >> 32n) && s32(b.smin) < 0 && s32(b.smax) >= 0) {
    b.s32Min = Math.max(b.s32Min, s32(b.smin));
    b.s32Max = Math.min(b.s32Max, s32(b.smax));
  }
  // A u32 range that does not cross the sign bit is also an s32 range, and the other way round.
  if (s32(b.u32Min) <= s32(b.u32Max)) {
    b.s32Min = Math.max(b.s32Min, s32(b.u32Min));
    b.s32Max = Math.min(b.s32Max, s32(b.u32Max));
  }
  if (u32(b.s32Min) <= u32(b.s32Max)) {
    b.u32Min = Math.max(u32(b.s32Min), b.u32Min);
    b.u32Max = Math.min(u32(b.s32Max), b.u32Max);
  }
}

/** `__reg64_deduce_bounds`. */
function reg64DeduceBounds(b: ScalarBounds): void {
  if (s64(b.umin) <= s64(b.umax)) {
    b.smin = maxB(b.smin, s64(b.umin));
    b.smax = minB(b.smax, s64(b.umax));
  }
  if (u64(b.smin) <= u64(b.smax)) {
    b.umin = maxB(u64(b.smin), b.umin);
    b.umax = minB(u64(b.smax), b.umax);
  } else if (b.umax < u64(b.smin)) {
    // The s64 range wraps in the u64 domain and the u64 range only meets its non-negative part.
    b.smin = s64(b.umin);
    b.umax = minB(b.umax, u64(b.smax));
  } else if (u64(b.smax) < b.umin) {
    // ... or only its negative part.
    b.smax = s64(b.umax);
    b.umin = maxB(b.umin, u64(b.smin));
  }
}

/** `__reg_deduce_mixed_bounds`: 64-bit ranges from the 32-bit ones. */
function regDeduceMixedBounds(b: ScalarBounds): void {
  const hi = ~0xffffffffn;
  const newUmin = u64((b.umin & hi) | BigInt(b.u32Min));
  const newUmax = u64((b.umax & hi) | BigInt(b.u32Max));
  b.umin = maxB(b.umin, newUmin);
  b.umax = minB(b.umax, newUmax);
  const newSmin = s64((b.smin & hi) | BigInt(b.u32Min));
  const newSmax = s64((b.smax & hi) | BigInt(b.u32Max));
  b.smin = maxB(b.smin, newSmin);
  b.smax = minB(b.smax, newSmax);
  // After a sign-extending load the upper half is all zeros or all ones: a non-negative s32 range is the whole range.
  if (b.s32Min >= 0 && b.smin >= BigInt(S32_MIN) && b.smax <= BigInt(S32_MAX)) {
    b.smin = BigInt(b.s32Min);
    b.smax = BigInt(b.s32Max);
    b.umin = BigInt(b.s32Min);
    b.umax = BigInt(b.s32Max);
    b.varOff = tnumIntersect(b.varOff, tnumRange(b.smin, b.smax));
  }
}

function regDeduceBounds(b: ScalarBounds): void {
  reg32DeduceBounds(b);
  reg64DeduceBounds(b);
  regDeduceMixedBounds(b);
}

/** `__reg_bound_offset`: learn tnum bits from the unsigned ranges. */
export function regBoundOffset(b: ScalarBounds): void {
  const var64 = tnumIntersect(b.varOff, tnumRange(b.umin, b.umax));
  const var32 = tnumIntersect(tnumSubreg(var64), tnumRange(BigInt(b.u32Min), BigInt(b.u32Max)));
  b.varOff = tnumOr(tnumClearSubreg(var64), var32);
}

/** A known constant whose every bound is that constant, or a scalar nothing is known about: `reg_bounds_sync` would change nothing. */
function syncFixpoint(b: ScalarBounds): boolean {
  const t = b.varOff;
  if (t.mask === 0n) {
    return b.umin === t.value && b.umax === t.value && b.smin === b.smax && b.smin === (t.value > S64_MAX ? t.value - (1n << 64n) : t.value) &&
      b.u32Min === b.u32Max && b.u32Min === Number(t.value & 0xffffffffn) && b.s32Min === b.s32Max && b.s32Min === (b.u32Min | 0);
  }
  return t.mask === U64_MAX && b.umin === 0n && b.umax === U64_MAX && b.smin === S64_MIN && b.smax === S64_MAX &&
    b.u32Min === 0 && b.u32Max === U32_MAX && b.s32Min === S32_MIN && b.s32Max === S32_MAX;
}

/** `reg_bounds_sync`. */
export function regBoundsSync(b: ScalarBounds): void {
  if (syncFixpoint(b)) return;
  updateRegBounds(b);
  regDeduceBounds(b);
  regDeduceBounds(b);
  regBoundOffset(b);
  updateRegBounds(b);
}

/** `__reg_assign_32_into_64`: after a 32-bit write the value is zero-extended. */
export function regAssign32Into64(b: ScalarBounds): void {
  b.umin = BigInt(b.u32Min);
  b.umax = BigInt(b.u32Max);
  b.smax = b.s32Min >= 0 && b.s32Max >= 0 ? BigInt(b.s32Max) : BigInt(U32_MAX);
  b.smin = b.s32Min >= 0 ? BigInt(b.s32Min) : 0n;
}

/** `zext_32_to_64`. */
export function zext32To64(b: ScalarBounds): void {
  b.varOff = tnumSubreg(b.varOff);
  regAssign32Into64(b);
}

/** Are the bounds impossible (an unreachable branch)? `reg_bounds_sanity_check`. */
export function boundsInconsistent(b: ScalarBounds): boolean {
  return b.umin > b.umax || b.smin > b.smax || b.u32Min > b.u32Max || b.s32Min > b.s32Max ||
    (tnumIsConst(b.varOff) && (b.umin !== b.varOff.value || b.umax !== b.varOff.value)) ||
    b.umin < b.varOff.value || (b.varOff.value | b.varOff.mask) < b.umin;
}

/** Does the concrete 64-bit value x satisfy every part of b? (The soundness model of the tests.) */
export function boundsContain(b: ScalarBounds, x: bigint): boolean {
  const v = u64(x);
  const lo = Number(v & 0xffffffffn);
  return (v & ~b.varOff.mask & U64_MAX) === b.varOff.value &&
    v >= b.umin && v <= b.umax && s64(v) >= b.smin && s64(v) <= b.smax &&
    lo >= b.u32Min && lo <= b.u32Max && s32(lo) >= b.s32Min && s32(lo) <= b.s32Max;
}
