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
const S64_SIGN = 1n << 63n;
const LO32 = 0xffffffffn;
const HI32 = ~0xffffffffn;
const S32_MIN_B = BigInt(S32_MIN);
const S32_MAX_B = BigInt(S32_MAX);
/** The low 32 bits of a 64-bit bound as a u32 number (two's complement for negative ones). */
const lo32 = (v: bigint): number => Number(v & LO32);
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

/** `__update_reg32_bounds`: learn 32-bit ranges from the tnum's low half (as u32 numbers). */
export function updateReg32Bounds(b: ScalarBounds): void {
  const value = lo32(b.varOff.value), mask = lo32(b.varOff.mask);
  b.s32Min = Math.max(b.s32Min, value | (mask & 0x80000000));
  b.s32Max = Math.min(b.s32Max, value | (mask & 0x7fffffff));
  b.u32Min = Math.max(b.u32Min, value);
  b.u32Max = Math.min(b.u32Max, (value | mask) >>> 0);
}

/** `__update_reg64_bounds`. */
export function updateReg64Bounds(b: ScalarBounds): void {
  const t = b.varOff;
  b.smin = maxB(b.smin, s64(t.value | (t.mask & S64_SIGN)));
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
  // The 64-bit bounds do not change here: their halves as numbers, once (upper halves of s64 ones signed).
  const uminHi = Number(b.umin >> 32n), umaxHi = Number(b.umax >> 32n);
  const sminHi = Number(b.smin >> 32n), smaxHi = Number(b.smax >> 32n);
  const uminLo = lo32(b.umin), umaxLo = lo32(b.umax), sminLo = lo32(b.smin), smaxLo = lo32(b.smax);
  // The upper halves of the u64 (or s64) range are equal: its low halves bound the subregister.
  if (uminHi === umaxHi) {
    b.u32Min = Math.max(b.u32Min, uminLo);
    b.u32Max = Math.min(b.u32Max, umaxLo);
    if ((uminLo | 0) <= (umaxLo | 0)) {
      b.s32Min = Math.max(b.s32Min, uminLo | 0);
      b.s32Max = Math.min(b.s32Max, umaxLo | 0);
    }
  }
  if (sminHi === smaxHi) {
    b.u32Min = Math.max(b.u32Min, sminLo);
    b.u32Max = Math.min(b.u32Max, smaxLo);
    if ((sminLo | 0) <= (smaxLo | 0)) {
      b.s32Min = Math.max(b.s32Min, sminLo | 0);
      b.s32Max = Math.min(b.s32Max, smaxLo | 0);
    }
  }
  // Upper halves are two consecutive numbers and the low halves cross the s32 sign boundary.
  if (((uminHi + 1) >>> 0) === umaxHi && (uminLo | 0) < 0 && (umaxLo | 0) >= 0) {
    b.s32Min = Math.max(b.s32Min, uminLo | 0);
    b.s32Max = Math.min(b.s32Max, umaxLo | 0);
  }
  if (((sminHi + 1) >>> 0) === smaxHi >>> 0 && (sminLo | 0) < 0 && (smaxLo | 0) >= 0) {
    b.s32Min = Math.max(b.s32Min, sminLo | 0);
    b.s32Max = Math.min(b.s32Max, smaxLo | 0);
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

/**
 * `__reg_deduce_mixed_bounds`: 64-bit ranges from the 32-bit ones. Each
 * bound with its low half replaced by the u32 one is tighter exactly when
 * that low half is (the upper half stays), so it is only built then.
 */
function regDeduceMixedBounds(b: ScalarBounds): void {
  if (lo32(b.umin) < b.u32Min) b.umin = (b.umin & HI32) | BigInt(b.u32Min);
  if (lo32(b.umax) > b.u32Max) b.umax = (b.umax & HI32) | BigInt(b.u32Max);
  if (lo32(b.smin) < b.u32Min) b.smin = (b.smin & HI32) | BigInt(b.u32Min);
  if (lo32(b.smax) > b.u32Max) b.smax = (b.smax & HI32) | BigInt(b.u32Max);
  // After a sign-extending load the upper half is all zeros or all ones: a non-negative s32 range is the whole range.
  if (b.s32Min >= 0 && b.smin >= S32_MIN_B && b.smax <= S32_MAX_B) {
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
